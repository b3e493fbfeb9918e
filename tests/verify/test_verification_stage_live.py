"""The verification stage on the sandbox: a rewrite returning different rows goes back to its
baseline form, and the derived table only it read leaves the plan."""

from __future__ import annotations

import pytest

from jobs.contract.result import RewrittenQuery
from jobs.contract.workload import parse_workload_json
from jobs.db.trino_client import client_from_jdbc_url
from jobs.engine import optimize
from jobs.engine.optimizer import baseline_result
from jobs.engine.validate import validate_result
from jobs.sandbox.workload_loader import clean_statement
from jobs.tasks.verification_stage import apply_for_checks, verify_and_revert
from tests.sandbox.conftest import shared_workloads_dir
from tests.services import service_url

pytestmark = pytest.mark.trino


async def test_a_wrong_rewrite_is_reverted_and_its_table_dropped() -> None:
    url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    workload = parse_workload_json((shared_workloads_dir() / "flights.json").read_bytes())
    workload = workload.model_copy(update={"queries": workload.queries[:5]})
    planned = optimize(workload)
    assert planned.plan is not None
    derived = [t.qualified for t in planned.plan.tables if t.kind != "copy"]
    readers = {name: [q.queryid for q in planned.plan.queries if name in q.text] for name in derived}
    # A table only one query reads, and that query returns rows here (so LIMIT 0 changes them).
    trino = client_from_jdbc_url(url)
    originals = {q.queryid: q.query for q in workload.queries}
    alone = next(
        name
        for name, ids in readers.items()
        if len(ids) == 1 and trino.execute(clean_statement(originals[ids[0]])).rows
    )
    kept = next(name for name, ids in readers.items() if ids and ids != readers[alone])
    broken_id = readers[alone][0]
    # Still reads the table, but returns no rows: a mismatch the verifier must catch.
    result = planned.result.model_copy(
        update={
            "queries": [
                RewrittenQuery(queryid=q.queryid, query=f"SELECT * FROM ({q.query}) AS w LIMIT 0")
                if q.queryid == broken_id
                else q
                for q in planned.result.queries
            ]
        }
    )
    applied = await apply_for_checks(workload, result, url)
    assert applied.client is not None, applied.warnings
    reverted, report, warnings = await verify_and_revert(workload, result, url, applied, budget_seconds=600)
    assert report is not None and report.mismatches == [broken_id]
    baseline = {q.queryid: q.query for q in baseline_result(workload).queries}
    assert {q.queryid: q.query for q in reverted.queries}[broken_id] == baseline[broken_id]
    statements = [s.statement for s in [*reverted.ddl, *reverted.migrations]]
    assert not [s for s in statements if f"{alone} " in s] and any(f"{kept} " in s for s in statements)
    assert any(broken_id in w for w in warnings) and any(alone in w and "dropped" in w for w in warnings)
    assert validate_result(workload, reverted) == []
