"""The engine's storage layout on the loaded sandbox: planned from a real profile, the copies take fewer bytes.

TPC-DS at the CI scale (loaded by .ci/services/30-trino.sh): the source tables are Parquet as the
``tpcds`` connector wrote them; the copies must not be larger (the score's y = source / new bytes).
"""

from __future__ import annotations

import asyncio

import pytest

from jobs.contract.workload import parse_workload_json
from jobs.db.profiler import collect_profile
from jobs.db.trino_client import TrinoClient
from jobs.engine import optimize
from jobs.sandbox.workload_loader import stored_bytes
from jobs.settings import load_settings
from jobs.verify.verifier import apply_plan
from tests.sandbox.conftest import shared_workloads_dir
from tests.services import service_url

pytestmark = [pytest.mark.trino, pytest.mark.slow]


def test_tpcds_copies_planned_from_the_profile_are_smaller_than_the_source(trino: TrinoClient) -> None:
    url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    workload = parse_workload_json((shared_workloads_dir() / "tpcds.json").read_bytes())
    profile = collect_profile(url, workload, load_settings())
    assert profile.table("mtpcds.data.customer_demographics") is not None, profile.warnings
    planned = optimize(workload, profile)
    assert planned.plan is not None
    copies = {t.source.qualified: t for t in planned.plan.tables if t.kind == "copy"}
    # A dimension keeps its key order; the fact table is sorted by its date key, then its ticket number.
    assert copies["mtpcds.data.customer_demographics"].sorted_by == ("cd_demo_sk",)
    assert copies["mtpcds.data.store_sales"].sorted_by == ("ss_sold_date_sk", "ss_ticket_number")

    errors = asyncio.run(apply_plan(workload, planned.result, url, client=trino))
    assert errors == []
    source = {name: stored_bytes(trino, name) for name in copies}
    new = {name: stored_bytes(trino, table.qualified) for name, table in copies.items()}
    assert sum(new.values()) < sum(source.values()), {n: (source[n], new[n]) for n in copies}
    # The one whose source order the old layout lost: 2.1 MB as Parquet, a few kB as key-ordered ORC.
    assert new["mtpcds.data.customer_demographics"] < source["mtpcds.data.customer_demographics"] / 10
