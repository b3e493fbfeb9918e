"""The gate on real plans: the engine's own queries for the shared workloads must pass it.

A static check that rejected correct queries would silently throw away every LLM rewrite of
that shape; the engine's output is the largest body of known-good SQL over a new schema.
"""

from __future__ import annotations

import functools

import pytest

from jobs.contract.result import PlanResult
from jobs.contract.workload import parse_workload
from jobs.engine import optimize
from jobs.llm.gate import new_schema_from_ddl, static_rejection
from tests.conftest import load_workload


@functools.cache
def engine_plan(name: str) -> PlanResult:
    workload = parse_workload({k: v for k, v in load_workload(name).items() if k != "url"})
    return optimize(workload, None).result


@pytest.mark.parametrize("name", ["flights.json", "questsH.json", "tpcds.json"])
def test_engine_queries_pass_the_static_gate(name: str) -> None:
    plan = engine_plan(name)
    schema = new_schema_from_ddl(plan.ddl)
    # Every table the plan creates is known, with its columns.
    created = [s.statement for s in plan.ddl if s.statement.upper().startswith(("CREATE TABLE", "CREATE MATERIALIZED"))]
    assert len(schema.tables) == len(created)
    assert all(schema.tables.values())
    rejected = {q.queryid: static_rejection(q.query, schema) for q in plan.queries}
    assert {k: v for k, v in rejected.items() if v is not None} == {}


def test_columns_of_aggregate_tables_are_checked() -> None:
    schema = new_schema_from_ddl(engine_plan("flights.json").ddl)
    (catalog, new_schema, table), columns = next((k, v) for k, v in schema.tables.items() if k[2] != "flights")
    name = f"{catalog}.{new_schema}.{table}"
    assert static_rejection(f"SELECT {next(iter(columns))} FROM {name}", schema) is None
    rejection = static_rejection(f"SELECT no_such_measure FROM {name}", schema)
    assert rejection is not None and rejection.startswith("unknown column")
