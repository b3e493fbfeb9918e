"""Held-out style checks on the sandbox: approximate and tie-picking originals, ties under ORDER BY ...
LIMIT and broken queries that are passed through give zero mismatches, each classified."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from jobs.contract.verification import time_score
from jobs.contract.workload import Workload, parse_workload
from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from jobs.engine import optimize
from jobs.verify.statements import new_schema
from jobs.verify.verifier import verify_plan
from jobs.verify.views import drop_object
from tests.services import service_url

pytestmark = pytest.mark.trino

STABLE_OR_OWN = {"equal", "nondeterministic original"}


@pytest.fixture
def source() -> Iterator[tuple[str, str]]:
    url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    schema = f"iceberg.vf_heldout_{uuid.uuid4().hex[:8]}"
    trino = client_from_jdbc_url(url)
    trino.execute(f"CREATE SCHEMA {schema}")
    # 20,000 posts in 7 groups; every body of a group has the same length (max_by ties), doubles spread.
    trino.execute(
        f"CREATE TABLE {schema}.posts AS SELECT a * 100 + b AS id, 'g' || CAST((a * 100 + b) % 7 AS varchar) AS grp, "
        "substr('abcdefghij', 1 + (a * 100 + b) % 3, 5) || CAST((a * 100 + b) % 7 AS varchar) AS body, "
        "CAST((a * 100 + b) % 997 AS double) / 7.0 AS v "
        "FROM UNNEST(sequence(0, 199)) AS x(a) CROSS JOIN UNNEST(sequence(0, 99)) AS y(b)"
    )
    trino.execute(
        f"CREATE TABLE {schema}.groups AS SELECT 'g' || CAST(n AS varchar) AS grp, 'label ' || CAST(n % 3 AS varchar) "
        "AS label FROM UNNEST(sequence(0, 6)) AS t(n)"
    )
    yield url, schema
    _drop_schema(trino, schema)


def _drop_schema(trino: TrinoClient, schema: str) -> None:
    catalog, name = schema.split(".")
    tables = trino.execute(f"SELECT table_name FROM {catalog}.information_schema.tables WHERE table_schema = '{name}'")
    for (table,) in tables.rows:
        drop_object(trino, "TABLE", f"{schema}.{table}", 60)  # a table or a materialized view
    trino.execute(f"DROP SCHEMA IF EXISTS {schema}")


def _workload(schema: str) -> Workload:
    posts, groups = f"{schema}.posts", f"{schema}.groups"
    queries = {
        "approx": f"SELECT g.label, approx_percentile(p.v, 0.95) AS p95 FROM {posts} p JOIN {groups} g "
        "ON p.grp = g.grp GROUP BY g.label",
        "max_by": f"SELECT grp, MAX_BY(body, LENGTH(body)) AS longest FROM {posts} GROUP BY grp",
        "ties": f"SELECT grp, COUNT(*) AS n FROM {posts} GROUP BY grp ORDER BY COUNT(*) DESC LIMIT 3",
        # The contract's messy inputs: a single line whose `--` swallows the GROUP BY, a missing column.
        "swallowed": f"SELECT grp, count(*) FROM {posts} -- per group GROUP BY grp",
        "missing": f"SELECT no_such_column FROM {posts}",
    }
    return parse_workload(
        {
            "ddl": [
                {"statement": f"CREATE TABLE {posts} (id bigint, grp varchar, body varchar, v double)"},
                {"statement": f"CREATE TABLE {groups} (grp varchar, label varchar)"},
            ],
            "queries": [{"queryid": k, "query": q, "runquantity": 10, "executiontime": 1} for k, q in queries.items()],
        }
    )


async def test_heldout_originals_give_zero_mismatches_and_each_is_classified(source: tuple[str, str]) -> None:
    url, schema = source
    workload = _workload(schema)
    result = optimize(workload).result
    progress: list[str] = []
    trino = client_from_jdbc_url(url)
    try:
        report = await verify_plan(
            workload, result, url, repetitions=1, on_progress=lambda _f, message: progress.append(message)
        )
        # A budget that is over before the first query: a partial report naming every query unmeasured.
        partial = await verify_plan(workload, result, url, repetitions=1, prepared=True, budget_seconds=0.0)
    finally:
        _drop_schema(trino, new_schema(result.ddl[0].statement))
    status = {q.queryid: q.status for q in report.queries}
    assert report.mismatches == [], [(q.queryid, q.detail) for q in report.queries]
    assert {status[k] for k in ("approx", "max_by", "ties")} <= STABLE_OR_OWN, status
    assert status["swallowed"] == status["missing"] == "original fails"
    for q in report.queries:
        if q.status == "original fails":
            assert q.before_seconds is None and q.after_seconds is None and "passed" not in q.detail
        else:
            assert q.rows_before and q.before_trino_seconds is not None and q.after_trino_seconds is not None
    # Both-fail queries count as the contract says: 600 s before and after, a speedup of 1.
    assert report.x == pytest.approx(time_score(report.queries))
    assert any("query 5/5" in line for line in progress)
    assert partial.queries == [] and partial.unmeasured == [q.queryid for q in workload.queries]
    assert partial.partial and not partial.ok and "budget ran out" in partial.errors[0]
