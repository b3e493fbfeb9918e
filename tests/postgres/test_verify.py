"""Verifying a PostgreSQL plan on the real server: the verifier's flow, zero mismatches, x, y, z;
and the PostgreSQL allow-list refusing what a plan may not run."""

from __future__ import annotations

import pytest

from jobs.contract.result import PlanResult
from jobs.db.profiler import collect_profile
from jobs.engine import optimize
from jobs.settings import Settings
from jobs.verify.postgres import check_postgres_plan, verify_postgres_sync
from jobs.verify.statements import UnsafeStatementError
from tests.postgres.conftest import shop_workload

pytestmark = pytest.mark.postgres


def test_verify_on_postgres_gives_zero_mismatches(pg_url: str, settings: Settings, shop: str) -> None:
    workload = shop_workload(pg_url, shop)
    plan = optimize(workload, collect_profile(pg_url, workload, settings))
    assert any(s.statement.startswith("CREATE INDEX") for s in plan.result.ddl)
    report = verify_postgres_sync(workload, plan.result, pg_url, repetitions=1, settings=settings)
    assert not report.errors, report.errors
    assert report.mismatches == []
    assert [q.queryid for q in report.queries] == [q.queryid for q in workload.queries]
    assert report.new_bytes > 0 and report.source_bytes > 0
    assert report.x is not None and report.y is not None and report.z is not None
    assert "password=***" in report.url


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE lakeopt_test.{shop}.orders",
        "CREATE INDEX i ON lakeopt_test.{shop}.orders (customer_id)",
        "INSERT INTO lakeopt_test.{shop}.orders (customer_id) SELECT 1",
        "CREATE TABLE lakeopt_test.{shop}_opt.p PARTITION OF lakeopt_test.{shop}.orders FOR VALUES FROM (1) TO (2)",
        "ANALYZE lakeopt_test.{shop}.orders",
        "SELECT pg_terminate_backend(1)",
    ],
)
def test_the_postgres_allow_list_refuses_writes_outside_the_new_schema(pg_url: str, shop: str, statement: str) -> None:
    workload = shop_workload(pg_url, shop)
    result = optimize(workload).result
    bad = result.model_copy(deep=True)
    bad.migrations.append(bad.migrations[0].model_copy(update={"statement": statement.format(shop=shop)}))
    check_postgres_plan(workload, PlanResult.model_validate(result.model_dump()), "lakeopt_test")
    with pytest.raises(UnsafeStatementError):
        check_postgres_plan(workload, bad, "lakeopt_test")
