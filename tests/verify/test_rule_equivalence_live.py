"""Each query-rewriting rule, on the Trino sandbox: original and rewritten queries return the same rows.

The DuckDB tests check the rules' algebra; this runs the same generated queries on Trino over
Iceberg, whose semantics are the ones users get (integer division, SUM/AVG result types, NULLs,
the column types Iceberg stores). Each example gets fresh source tables in a schema of its own,
filled with a few dozen generated rows (NULL keys and values, small domains so groups tie, and
filters that empty groups; explicit examples cover empty tables), then the engine's plan is run
and compared by the verifier. Output names and Trino types must match too. ``LIMIT`` is dropped
from both sides before comparing: with ties, two correct plans may keep different rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from jobs.contract.result import PlanResult
from jobs.contract.workload import DdlStatement, Workload
from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from jobs.engine import optimize
from jobs.engine.model.source_ddl import read_source_tables
from jobs.sandbox.workload_loader import clean_statement
from jobs.verify.statements import new_schema
from jobs.verify.verifier import verify_plan
from tests.engine.test_equivalence_duckdb import _literal, _value
from tests.engine.test_materialized_blocks import join_queries
from tests.engine.test_properties import DDL, _workload, queries
from tests.services import service_url

pytestmark = pytest.mark.trino

CATALOG = "iceberg"
#: Every spelling of the generators' tables (``facts``, ``sch.facts``, ``"CAT"."SCH"."FACTS"``, ...).
_SOURCE_NAME = re.compile(r'(?:"?\b(?:cat|sch)\b"?\s*\.\s*)*"?\b(facts|dims)\b"?', re.IGNORECASE)
_LIMIT = re.compile(r"\s+LIMIT\s+\d+\b", re.IGNORECASE)
_schemas = itertools.count(1)


def _in_schema(text: str, schema: str) -> str:
    """``text`` reading ``iceberg.<schema>`` (the sandbox's client sets no default catalog or schema)."""
    return _SOURCE_NAME.sub(lambda m: f"{CATALOG}.{schema}.{m.group(1).lower()}", text)


def _live_workload(texts: list[str], schema: str) -> Workload:
    workload = _workload([_in_schema(t, schema) for t in texts])
    ddl = [DdlStatement(statement=_in_schema(d.statement, schema)) for d in workload.ddl]
    return workload.model_copy(update={"ddl": ddl})


def _rewrites_with(rule: str) -> Callable[[list[str]], bool]:
    """Whether the engine rewrites at least one of the texts with ``rule`` (planning only, no I/O)."""

    def check(texts: list[str]) -> bool:
        plan = optimize(_workload(texts)).plan
        return plan is not None and any(q.rule == rule for q in plan.queries)

    return check


def _load(client: TrinoClient, workload: Workload, rows: int, seed: int) -> None:
    """Create the source tables and insert ``rows`` generated rows into each (one INSERT per table)."""
    rng = random.Random(seed)
    for ddl in workload.ddl:
        client.execute(clean_statement(ddl.statement))
    for table in read_source_tables(workload):
        data = [[_value(rng, c.key, c.type_sql) for c in table.columns] for _ in range(rows)]
        if data:
            values = exp.values([tuple(map(_literal, row)) for row in data])
            client.execute(f"INSERT INTO {table.qualified} {values.sql('trino')}")


def _without_limits(workload: Workload, result: PlanResult) -> tuple[Workload, PlanResult]:
    originals = {q.queryid: q.query for q in workload.queries}
    for query in result.queries:
        found = len(_LIMIT.findall(originals[query.queryid])), len(_LIMIT.findall(query.query))
        assert found[0] == found[1], f"{query.queryid}: LIMIT count changed\n{originals[query.queryid]}\n{query.query}"
    return (
        workload.model_copy(
            update={"queries": [q.model_copy(update={"query": _LIMIT.sub("", q.query)}) for q in workload.queries]}
        ),
        result.model_copy(
            update={"queries": [q.model_copy(update={"query": _LIMIT.sub("", q.query)}) for q in result.queries]}
        ),
    )


def _drop_schema(client: TrinoClient, schema: str) -> None:
    client.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def trino_url() -> str:
    return service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")


def check_rule_on_trino(url: str, rule: str, texts: list[str], rows: int, seed: int) -> None:
    """Plan ``texts`` over generated tables on the sandbox; every query must return the original rows,
    with the original output names and types."""
    client = client_from_jdbc_url(url)
    schema = f"eq_{os.getpid()}_{next(_schemas)}"
    workload = _live_workload(texts, schema)
    planned = optimize(workload)
    assert planned.plan is not None
    rewritten = [q.queryid for q in planned.plan.queries if q.rule == rule]
    assert rewritten, f"no query rewritten by {rule}: {texts}"
    workload, result = _without_limits(workload, planned.result)
    schemas = [f"{CATALOG}.{schema}", new_schema(result.ddl[0].statement)]
    for name in schemas:
        _drop_schema(client, name)  # left over from an interrupted run
    try:
        client.execute(f"CREATE SCHEMA {schemas[0]}")
        _load(client, workload, rows, seed)
        report = asyncio.run(verify_plan(workload, result, url, repetitions=1, client=client))
        problems = {q.queryid: q.detail for q in report.queries if not q.equal}
        assert report.errors == [] and problems == {}, (report.errors, problems, _texts(workload, result))
        assert report.mismatches == [] and len(report.queries) == len(workload.queries)
        _assert_same_columns(client, workload, result, rewritten)
    finally:
        for name in reversed(schemas):
            _drop_schema(client, name)


def _texts(workload: Workload, result: PlanResult) -> dict[str, tuple[str, str]]:
    after = {q.queryid: q.query for q in result.queries}
    return {q.queryid: (q.query, after[q.queryid]) for q in workload.queries}


def _assert_same_columns(client: TrinoClient, workload: Workload, result: PlanResult, ids: list[str]) -> None:
    """The verifier compares values; users also see the output names and Trino types."""
    texts = _texts(workload, result)
    for queryid in ids:
        before, after = (client.execute(clean_statement(t)) for t in texts[queryid])
        assert before.types == after.types, (queryid, before.types, after.types, *texts[queryid])
        assert before.columns == after.columns, (queryid, before.columns, after.columns, *texts[queryid])


_FEW = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    # Each example costs seconds on Trino: report the failing example as generated, unshrunk.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)


@_FEW
@given(
    st.lists(queries(), min_size=1, max_size=4).filter(_rewrites_with("pre_aggregation")),
    st.integers(0, 40),
    st.integers(0, 10**6),
)
@example(
    ["SELECT kind, flag, COUNT(*) AS a0, AVG(qty) AS a1, SUM(amount) AS a2 FROM cat.sch.facts GROUP BY kind, flag"],
    0,
    1,
)
def test_pre_aggregation_returns_the_original_rows(trino_url: str, texts: list[str], rows: int, seed: int) -> None:
    check_rule_on_trino(trino_url, "pre_aggregation", texts, rows, seed)


@_FEW
@given(
    st.lists(join_queries(), min_size=1, max_size=3).filter(_rewrites_with("materialized_blocks")),
    st.integers(0, 40),
    st.integers(0, 10**6),
)
@example(
    [
        "SELECT d.region, COUNT(*), AVG(f.qty) AS a1 FROM cat.sch.facts f LEFT JOIN cat.sch.dims d "
        "ON f.id = d.id GROUP BY d.region",
        "SELECT COUNT(d.name) AS a0, SUM(f.amount) AS a1 FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id",
        # A CASE of labels is varchar(5) in Trino, varchar in an Iceberg table: the rewrite casts back.
        "SELECT CASE WHEN f.qty > 5 THEN 'big' ELSE 'small' END AS size, COUNT(*) AS n "
        "FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY 1",
    ],
    0,
    1,
)
def test_materialized_blocks_return_the_original_rows(trino_url: str, texts: list[str], rows: int, seed: int) -> None:
    check_rule_on_trino(trino_url, "materialized_blocks", texts, rows, seed)


def test_pre_aggregation_keeps_the_name_of_an_unnamed_key(trino_url: str) -> None:
    # Trino names an unnamed output _col<n>: the rewrite must not name it after the key column (k_1).
    check_rule_on_trino(
        trino_url, "pre_aggregation", ["SELECT month(day), COUNT(*) FROM cat.sch.facts GROUP BY month(day)"], 3, 1
    )


def test_every_spelling_of_a_generated_table_moves_into_the_example_schema() -> None:
    assert [_in_schema(d, "s") for d in DDL] == [d.replace("cat.sch.", f"{CATALOG}.s.") for d in DDL]
    text = 'SELECT 1 FROM "CAT"."SCH"."FACTS" JOIN sch.dims d ON 1 = 1, facts, cat.sch.cat.sch.facts f, facts_x'
    assert _in_schema(text, "s") == (
        "SELECT 1 FROM iceberg.s.facts JOIN iceberg.s.dims d ON 1 = 1, iceberg.s.facts, iceberg.s.facts f, facts_x"
    )
