"""The engine's own plans for the shared workloads, run on the loaded sandbox: every rewritten
query returns the original's rows (the materialized, pre-aggregated and re-laid-out tables all
filled by the plan's migrations), and nothing errors."""

from __future__ import annotations

import pytest

from jobs.contract.workload import parse_workload_json
from jobs.engine import optimize
from jobs.verify.verifier import verify_plan
from tests.sandbox.conftest import shared_workloads_dir
from tests.services import service_url

pytestmark = pytest.mark.trino


@pytest.mark.parametrize("name", ["questsH", "tpcds"])
async def test_every_rewrite_of_the_engine_returns_the_original_rows(name: str) -> None:
    url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    workload = parse_workload_json((shared_workloads_dir() / f"{name}.json").read_bytes())
    planned = optimize(workload)
    assert planned.plan is not None
    rules = {q.rule for q in planned.plan.queries if q.rule}
    assert "materialized_blocks" in rules
    report = await verify_plan(workload, planned.result, url, repetitions=1)
    problems = {q.queryid: q.detail for q in report.queries if not q.equal}
    assert report.errors == [] and problems == {}, (report.errors, problems)
    assert report.mismatches == [] and len(report.queries) == len(workload.queries)
    assert report.x is not None and report.y is not None
