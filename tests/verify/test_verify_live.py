"""verify_plan and same_rows on the loaded sandbox, with hand-written plans: a faithful copy and a wrong rewrite."""

from __future__ import annotations

import pytest

from jobs.contract.result import PlanResult, RewrittenQuery, Statement
from jobs.contract.verification import time_score
from jobs.contract.workload import Workload, parse_workload_json
from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from jobs.verify.statements import UnsafeStatementError
from jobs.verify.verifier import same_rows, verify_plan
from tests.sandbox.conftest import shared_workloads_dir
from tests.services import service_url

pytestmark = pytest.mark.trino

NEW = "flights.verify_copy"


@pytest.fixture
def url() -> str:
    return service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")


@pytest.fixture
def flights() -> Workload:
    workload = parse_workload_json((shared_workloads_dir() / "flights.json").read_bytes())
    # Five queries keep the test short; they cover ORDER BY + LIMIT, UNION ALL and window functions.
    return workload.model_copy(update={"queries": workload.queries[:5]})


def copy_plan(workload: Workload) -> PlanResult:
    ddl = workload.ddl[0].statement.replace("flights.public.", f"{NEW}.")
    return PlanResult(
        ddl=[Statement(statement=f"CREATE SCHEMA {NEW}"), Statement(statement=ddl)],
        migrations=[Statement(statement=f"INSERT INTO {NEW}.flights SELECT * FROM flights.public.flights")],
        queries=[
            RewrittenQuery(queryid=q.queryid, query=q.query.replace("flights.public.", f"{NEW}."))
            for q in workload.queries
        ],
    )


async def test_a_faithful_copy_is_equal_everywhere_and_scores_are_computed(url: str, flights: Workload) -> None:
    progress: list[float] = []
    report = await verify_plan(
        flights, copy_plan(flights), url, repetitions=1, on_progress=lambda f, _m: progress.append(f)
    )
    assert report.errors == []
    assert [q.equal for q in report.queries] == [True] * 5, [q.detail for q in report.queries]
    assert report.ok and report.mismatches == []
    assert report.source_bytes > 0 and report.new_bytes > 0
    assert report.x is not None and report.y is not None and report.z is not None
    assert 0.5 < report.y < 2.0
    assert progress[0] == 0.0 and progress[-1] == 1.0
    # Idempotent: the new schema's table is dropped and recreated, not appended to.
    again = await verify_plan(flights, copy_plan(flights), url, repetitions=1)
    assert again.ok
    trino = client_from_jdbc_url(url)
    assert trino.scalar(f"SELECT count(*) FROM {NEW}.flights") == trino.scalar(
        "SELECT count(*) FROM flights.public.flights"
    )


async def test_a_wrong_rewrite_is_a_mismatch_and_a_missing_one_a_failure(url: str, flights: Workload) -> None:
    plan = copy_plan(flights)
    wrong = plan.queries[2].query.replace(f"{NEW}.flights", f"(SELECT * FROM {NEW}.flights WHERE dayofweek <> 3)")
    assert wrong != plan.queries[2].query
    plan.queries[2] = RewrittenQuery(queryid=plan.queries[2].queryid, query=wrong)
    del plan.queries[4]
    report = await verify_plan(flights, plan, url, repetitions=1)
    assert not report.ok
    assert report.mismatches == [flights.queries[2].queryid, flights.queries[4].queryid]
    assert report.queries[4].error_after and report.queries[4].after_seconds is None
    # The missing query counts as 600 s: x is what the other queries' timings give with that in.
    # (Not "x < 1": the copies may run faster than the source by chance.)
    others = time_score([q for q in report.queries if q.after_seconds is not None])
    assert report.x is not None and others is not None
    assert report.x == pytest.approx(time_score(report.queries)) and report.x < others


async def test_writes_outside_the_new_schema_are_refused_before_anything_runs(url: str, flights: Workload) -> None:
    plan = copy_plan(flights)
    plan.migrations.append(Statement(statement="DELETE FROM flights.public.flights"))
    with pytest.raises(UnsafeStatementError, match=r"flights\.public\.flights"):
        await verify_plan(flights, plan, url, repetitions=1)
    source = PlanResult(ddl=[Statement(statement="CREATE SCHEMA flights.public")])
    with pytest.raises(UnsafeStatementError, match="source schema"):
        await verify_plan(flights, source, url, repetitions=1)


def test_same_rows_accepts_an_equivalent_rewrite_and_rejects_a_wrong_one(url: str) -> None:
    trino: TrinoClient = client_from_jdbc_url(url)
    original = (
        "SELECT origin, count(*) AS n FROM flights.public.flights GROUP BY origin ORDER BY n DESC, origin LIMIT 5"
    )
    equivalent = (
        "SELECT origin, n FROM (SELECT origin, count(*) AS n FROM flights.public.flights GROUP BY origin) "
        "ORDER BY n DESC, origin LIMIT 5"
    )
    assert same_rows(trino, original, equivalent) == (
        True,
        "ordered keys and rows (last tie group of the LIMIT compared by keys)",
    )
    equal, detail = same_rows(trino, original, original.replace("DESC", "ASC"))
    assert not equal and "ORDER BY keys differ" in detail
    equal, detail = same_rows(trino, original, "SELECT nope FROM flights.public.flights")
    assert not equal and detail.startswith("the rewritten query failed")
