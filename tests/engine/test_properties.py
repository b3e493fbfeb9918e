"""Properties of every plan: rewritten queries parse, stay fully qualified, read only the new
schema; and the same input always gives the same plan (also across hash seeds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from jobs.contract.workload import Workload, parse_workload
from jobs.engine import optimize
from jobs.engine.model.requalify import table_references
from jobs.engine.validate import validate_result
from tests.conftest import WORKLOADS

DDL = [
    "CREATE TABLE cat.sch.facts (id bigint, day date, kind varchar, amount double, qty integer, flag boolean)",
    "CREATE TABLE cat.sch.dims (id bigint, name varchar, region varchar)",
]
NAMES = {
    "facts": ["cat.sch.facts", "sch.facts", "facts", "cat.sch.cat.sch.facts", '"CAT"."SCH"."FACTS"'],
    "dims": ["cat.sch.dims", "dims", "sch.dims"],
}
COLUMNS = ["id", "day", "kind", "amount", "qty", "flag"]
AGGREGATES = [
    "COUNT(*)",
    "COUNT({c})",
    "SUM(amount)",
    "MIN({c})",
    "MAX({c})",
    "AVG(qty)",
    "AVG(amount)",
    "COUNT(DISTINCT {c})",
    "AVG(CASE WHEN flag THEN 1 ELSE 0 END)",
    "count()",
]
FILTERS = [
    "flag",
    "NOT flag",
    "kind = 'a'",
    "qty > 3",
    "day BETWEEN DATE '2024-01-01' AND DATE '2024-02-01'",
    "amount IS NOT NULL",
    "kind IN ('a', 'b')",
    "id IN (SELECT id FROM {dims} WHERE region = 'x')",
]


@st.composite
def queries(draw: st.DrawFn) -> str:
    facts = draw(st.sampled_from(NAMES["facts"]))
    dims = draw(st.sampled_from(NAMES["dims"]))
    keys = draw(st.lists(st.sampled_from(["kind", "day", "flag", "qty", "month(day)"]), max_size=3, unique=True))
    column = draw(st.sampled_from(COLUMNS))
    aggregates = [a.format(c=column) for a in draw(st.lists(st.sampled_from(AGGREGATES), min_size=1, max_size=3))]
    filters = [f.format(dims=dims) for f in draw(st.lists(st.sampled_from(FILTERS), max_size=3))]
    select = ", ".join([*keys, *(f"{a} AS a{i}" for i, a in enumerate(aggregates))])
    text = f"SELECT {select} FROM {facts}"
    if filters:
        text += " WHERE " + " AND ".join(filters)
    if keys:
        text += " GROUP BY " + ", ".join(keys)
        if draw(st.booleans()):
            text += " ORDER BY a0 DESC LIMIT 10"
    shape = draw(st.sampled_from(["plain", "cte", "join", "comment"]))
    if shape == "cte":
        text = f"WITH w AS ({text}) SELECT * FROM w"
    elif shape == "join":
        text = f"SELECT d.name, x.* FROM ({text}) x CROSS JOIN {dims} d"
    elif shape == "comment":
        text = f"/* report */ {text};"
    return text


def _workload(texts: list[str]) -> Workload:
    return parse_workload(
        {
            "ddl": [{"statement": s} for s in DDL],
            "queries": [
                {"queryid": f"q{i}", "query": t, "runquantity": 5, "executiontime": 3} for i, t in enumerate(texts)
            ],
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(queries(), min_size=1, max_size=6))
def test_rewritten_queries_parse_and_read_only_the_new_schema(texts: list[str]) -> None:
    workload = _workload(texts)
    plan = optimize(workload)
    assert validate_result(workload, plan.result) == []
    assert [q.queryid for q in plan.result.queries] == [q.queryid for q in workload.queries]
    for query in plan.result.queries:
        parsed = sqlglot.parse_one(query.query, read="trino")
        for table in table_references(parsed):
            parts = [p.name.lower() for p in table.parts if isinstance(p, exp.Identifier)]
            assert len(parts) == 3 and parts[:2] == ["cat", "sch_opt"], query.query


def test_same_input_same_plan() -> None:
    workload = parse_workload(json.loads((WORKLOADS / "flights.json").read_text()))
    first, second = optimize(workload), optimize(workload)
    assert first.result == second.result
    assert first.report == second.report


_PLAN_SCRIPT = """
import json, sys
from jobs.engine import optimize
from jobs.contract.workload import parse_workload
plan = optimize(parse_workload(json.load(open(sys.argv[1]))))
print(json.dumps([plan.result.model_dump(), plan.report.model_dump()]))
"""


def test_plan_does_not_depend_on_the_hash_seed() -> None:
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _PLAN_SCRIPT, str(WORKLOADS / "tpcds.json")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert '"recommendations": [' in outputs[0]


_FRAGMENTS = [
    "other",
    "a.b.c.d",
    "x",
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "cat.sch.facts",
    "facts",
    "(",
    ")",
    "'",
    '"',
    "--",
    "/*",
    "*/",
    ";",
    ",",
    "count()",
    "id",
    "=",
    "1",
    "WITH x AS",
    "JOIN",
    "ON",
    "\n",
    "sch.cat.sch.facts",
    "*",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=12).map(" ".join), min_size=1, max_size=5))
def test_garbage_queries_never_crash_and_keep_their_ids(texts: list[str]) -> None:
    workload = _workload(texts)
    plan = optimize(workload)
    assert [q.queryid for q in plan.result.queries] == [q.queryid for q in workload.queries]
    assert validate_result(workload, plan.result) == []
