"""A small harness for the rules' docstring examples and tests: DDL + queries -> (model, baseline)."""

from __future__ import annotations

from jobs.contract.profile import DatabaseProfile
from jobs.contract.workload import Workload, parse_workload
from jobs.engine.baseline import baseline_plan
from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.requalify import parse_query
from jobs.engine.model.source_ddl import read_source_tables, session_namespace
from jobs.engine.model.workload_model import WorkloadModel, build_model
from jobs.engine.plan import Plan
from jobs.sql.dialect import dialect_of_url


def workload_of(ddl: list[str], queries: list[str], weight: float = 100.0) -> Workload:
    """A workload whose queries are ``q0``, ``q1``... each weighing ``weight`` seconds."""
    return parse_workload(
        {
            "ddl": [{"statement": s} for s in ddl],
            "queries": [
                {"queryid": f"q{i}", "query": q, "runquantity": 1, "executiontime": weight}
                for i, q in enumerate(queries)
            ],
        }
    )


def model_and_plan(
    ddl: list[str], queries: list[str], profile: DatabaseProfile | None = None
) -> tuple[WorkloadModel, Plan]:
    """The workload model and the baseline plan the rules start from."""
    workload = workload_of(ddl, queries)
    namespaces = Namespaces(read_source_tables(workload), session_namespace(workload.url), dialect_of_url(workload.url))
    parsed = [parse_query(q.queryid, q.query, namespaces) for q in workload.queries]
    return build_model(workload, parsed, namespaces, profile), baseline_plan(namespaces, parsed)
