"""Original and rewritten queries return the same rows, run in DuckDB on generated data.

DuckDB stands in for Trino here (sqlglot transpiles both the original and the rewritten query
the same way), so this checks the rewrite's algebra: roll-ups, NULL keys and values, groups a
WHERE empties, HAVING, windows over aggregates. Doubles are multiples of 0.25, so sums are exact
and re-aggregation cannot differ by rounding. ``LIMIT`` is dropped from both sides: with ties,
two correct plans may keep different rows.
"""

from __future__ import annotations

import datetime
import json
import math
import random
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from jobs.contract.workload import Workload, parse_workload
from jobs.engine import optimize
from jobs.engine.model.source_ddl import read_source_tables
from jobs.engine.optimizer import baseline_result
from tests.conftest import WORKLOADS
from tests.engine.test_properties import DDL, _workload, queries

duckdb = pytest.importorskip("duckdb")

_POOLS = {
    "origin": ["JFK", "LAX", "ORD", "ATL", None],
    "dest": ["JFK", "LAX", "SEA", "LAS", None],
    "deptimeblk": ["0600-0659", "0700-0759", "1200-1259", "1700-1759", None],
    "arrtimeblk": ["0600-0659", "1300-1359", "1800-1859", None],
    "tail_number": ["N123AB", "N12AB", "N1234", "X999", None],
    "operating_airline": ["AA", "DL", "UA", None],
    "kind": ["a", "b", "c", None],
}


def _value(rng: random.Random, column: str, type_sql: str) -> Any:
    if rng.random() < 0.12:
        return None
    family = type_sql.upper().split("(")[0]
    if column in _POOLS:
        return rng.choice(_POOLS[column])
    if family == "BOOLEAN":
        return rng.random() < 0.3
    if family in ("INTEGER", "BIGINT", "SMALLINT"):
        return rng.randint(-2, 12)
    if family in ("DOUBLE", "REAL", "DECIMAL"):
        return rng.randint(-40, 3996) / 4
    if family == "TIME":
        return datetime.time(rng.randint(0, 23), rng.randint(0, 59))
    if family == "TIMESTAMP":
        return datetime.datetime(2019, 1, 1) + datetime.timedelta(minutes=rng.randint(0, 500 * 24 * 60))
    if family == "DATE":
        return datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randint(0, 500))
    return rng.choice(["x", "y", "z", "", "NA"])


def _literal(value: Any) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, datetime.time):
        return exp.cast(exp.Literal.string(value.isoformat()), "TIME")
    if isinstance(value, datetime.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, datetime.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(value)


def _load(workload: Workload, rows: int, seed: int) -> Any:
    con = duckdb.connect()
    rng = random.Random(seed)
    attached: set[str] = set()
    for table in read_source_tables(workload):
        if table.catalog not in attached:
            con.execute(f"ATTACH ':memory:' AS {table.catalog}")
            attached.add(table.catalog)
        for schema in (table.schema, table.schema + "_opt"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.catalog}.{schema}")
        columns = ", ".join(
            f"{c.name} {exp.DataType.build(c.type_sql, dialect='trino').sql('duckdb')}" for c in table.columns
        )
        con.execute(f"CREATE TABLE {table.qualified} ({columns})")
        data = [[_value(rng, c.key, c.type_sql) for c in table.columns] for _ in range(rows)]
        if data:
            # One VALUES list of literals: much faster than binding parameters row by row.
            values = exp.values([tuple(map(_literal, row)) for row in data])
            con.execute(f"INSERT INTO {table.qualified} {values.sql('duckdb')}")
    return con


def _duck(sql: str) -> str:
    tree = sqlglot.parse_one(sql, read="trino")
    for select in tree.find_all(exp.Select):
        select.set("limit", None)
    return tree.sql("duckdb")


def _same(left: list[tuple[Any, ...]], right: list[tuple[Any, ...]]) -> bool:
    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is None, str(round(v, 6)) if isinstance(v, float) else str(v)) for v in row)

    if len(left) != len(right):
        return False
    for a, b in zip(sorted(left, key=key), sorted(right, key=key), strict=True):
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) and isinstance(y, float | int):
                if not (math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(x) and math.isnan(y))):
                    return False
            elif x != y:
                return False
    return True


def _apply_plan(con: Any, workload: Workload) -> dict[str, tuple[str, str]]:
    """Create the plan's tables in DuckDB; return queryid -> (original, rewritten) for rewritten queries."""
    plan = optimize(workload)
    assert plan.plan is not None
    for table in plan.plan.tables:
        fill = sqlglot.transpile(table.fill_select, read="trino", write="duckdb")[0]
        con.execute(f"CREATE TABLE {table.qualified} AS {fill}")
    originals = {q.queryid: q.query for q in workload.queries}
    return {q.queryid: (originals[q.queryid], q.text) for q in plan.plan.queries if q.rule}


def compare_shared_workload(name: str, rows: int, seed: int) -> int:
    """Run every rewritten query of a shared workload and its original on generated data; assert
    they return the same rows; return how many were compared (DuckDB lacks some Trino functions)."""
    workload = parse_workload(json.loads((WORKLOADS / f"{name}.json").read_text()))
    con = _load(workload, rows=rows, seed=seed)
    compared = 0
    for queryid, (original, rewritten) in _apply_plan(con, workload).items():
        try:
            expected = con.execute(_duck(original)).fetchall()
        except duckdb.Error:
            continue  # a Trino function DuckDB lacks: nothing to compare
        assert _same(expected, con.execute(_duck(rewritten)).fetchall()), f"{queryid}:\n{original}\n{rewritten}"
        compared += 1
    return compared


def test_flights_rewrites_return_the_original_rows() -> None:
    assert compare_shared_workload("flights", rows=3000, seed=7) >= 10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(queries(), min_size=1, max_size=4), st.integers(0, 40), st.integers(0, 10**6))
def test_generated_rewrites_return_the_original_rows(texts: list[str], rows: int, seed: int) -> None:
    workload = _workload(texts)
    assert len(workload.ddl) == len(DDL)
    con = _load(workload, rows=rows, seed=seed)
    pairs = _apply_plan(con, workload)
    # Only examples the rules rewrote say anything; Hypothesis fails the test if too few are.
    assume(pairs)
    # The baseline form (the original requalified, over the 1:1 copies) is what DuckDB can read
    # of the generator's messy names (``cat.sch.cat.sch.facts``, unqualified ``dims``).
    baseline = {q.queryid: q.query for q in baseline_result(workload).queries}
    for queryid, (original, rewritten) in pairs.items():
        # The generator writes only SQL DuckDB runs: an error here is a failure, not a skip.
        expected = con.execute(_duck(baseline[queryid])).fetchall()
        assert _same(expected, con.execute(_duck(rewritten)).fetchall()), f"{queryid}:\n{original}\n{rewritten}"
