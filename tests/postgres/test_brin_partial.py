"""BRIN and partial indexes on the real PostgreSQL: an events table appended in time order (so
``pg_stats.correlation`` is 1) with a rare status. Both kinds are costed with hypopg; the what-if
costs choose the partial index for the rare status (0.06 % of the cost, 0.04 % of the table's
size), the rules alone a BRIN for the time range; each plan runs, PostgreSQL's planner uses the
index, and verification finds no mismatch."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator

import pytest

from jobs.contract.workload import Workload, parse_workload
from jobs.db.connection import connect_writable
from jobs.db.profiler import collect_profile
from jobs.engine import optimize
from jobs.settings import Settings
from jobs.verify.postgres import verify_postgres_sync

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EVENTS = 200_000


@pytest.fixture(scope="module")
def events(pg_url: str, settings: Settings) -> Iterator[str]:
    name = f"ev_{uuid.uuid4().hex[:8]}"
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
        connection.execute(
            f"CREATE TABLE {name}.events (id bigserial PRIMARY KEY, account_id int NOT NULL, status text NOT NULL, "
            "amount numeric(10, 2), created_at timestamp NOT NULL, payload text)"
        )
        connection.execute(
            f"INSERT INTO {name}.events (account_id, status, amount, created_at, payload) "
            "SELECT 1 + g % 2000, CASE WHEN g % 250 = 0 THEN 'failed' WHEN g % 3 = 0 THEN 'pending' ELSE 'done' END, "
            "(g % 1000) / 10.0, timestamp '2024-01-01' + g * interval '1 minute', repeat('p', 200) || g "
            f"FROM generate_series(1, {EVENTS}) g"
        )
        connection.execute(f"ANALYZE {name}.events")
    yield name
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name}_opt CASCADE")
        connection.execute(f"DROP SCHEMA {name} CASCADE")


def _workload(url: str, schema: str) -> Workload:
    queries = {
        "day": f"SELECT count(*), sum(amount) FROM {schema}.events "
        "WHERE created_at >= timestamp '2024-03-01' AND created_at < timestamp '2024-03-02'",
        "failed": f"SELECT id, account_id, amount FROM {schema}.events WHERE status = 'failed' "
        "ORDER BY created_at DESC, id LIMIT 50",
    }
    return parse_workload(
        {
            "url": url,
            "ddl": [
                {
                    "statement": f"CREATE TABLE {schema}.events (id bigserial PRIMARY KEY, account_id int NOT NULL, "
                    "status text NOT NULL, amount numeric(10, 2), created_at timestamp NOT NULL, payload text)"
                }
            ],
            "queries": [
                {"queryid": q, "query": sql, "runquantity": 100, "executiontime": 1.0} for q, sql in queries.items()
            ],
        }
    )


def _index_names(plan: dict[str, object]) -> set[str]:
    found = {str(plan["Index Name"])} if "Index Name" in plan else set()
    for child in plan.get("Plans", []) or []:  # type: ignore[attr-defined]
        found |= _index_names(child)
    return found


def _indexes_used(
    pg_url: str, settings: Settings, statements: list[str], queries: dict[str, str]
) -> dict[str, set[str]]:
    with connect_writable(pg_url, settings) as connection:
        # The plans of both tests create the same new schema.
        connection.execute(statements[0].replace("CREATE SCHEMA", "DROP SCHEMA IF EXISTS", 1) + " CASCADE")
        for statement in statements:
            connection.execute(statement)
        used = {}
        for queryid, sql in queries.items():
            explained = json.loads(str(connection.query(f"EXPLAIN (FORMAT JSON) {sql}").rows[0][0]))[0]["Plan"]
            used[queryid] = _index_names(explained)
        return used


def test_what_if_costs_choose_a_partial_index_for_the_rare_status(pg_url: str, settings: Settings, events: str) -> None:
    workload = _workload(pg_url, events)
    profile = collect_profile(pg_url, workload, settings)
    assert profile.index_costs is not None, profile.warnings
    table = profile.tables[f"lakeopt_test.{events}.events"]
    assert table.columns["created_at"].correlation == pytest.approx(1.0) and (table.size_bytes or 0) > 40_000_000
    costed = profile.index_costs.costs
    assert any("USING brin (created_at)" in key for key in costed), sorted(costed)
    assert any("WHERE status = 'failed'" in key for key in costed), sorted(costed)
    plan = optimize(workload, profile).result
    created = [s.statement for s in plan.ddl if s.statement.startswith("CREATE INDEX")]
    partial = [s for s in created if s.endswith("WHERE status = 'failed'")]
    assert partial, created
    statements = [*(s.statement for s in plan.ddl), *(s.statement for s in plan.migrations)]
    used = _indexes_used(pg_url, settings, statements, {q.queryid: q.query for q in plan.queries})
    assert partial[0].split()[2].strip('"') in used["failed"], used
    report = verify_postgres_sync(workload, plan, pg_url, repetitions=1, settings=settings)
    assert {q.queryid: q.status for q in report.queries} == {"day": "equal", "failed": "equal"}, report.errors


def test_the_rules_alone_choose_a_brin_for_the_append_ordered_timestamp(
    pg_url: str, settings: Settings, events: str
) -> None:
    workload = _workload(pg_url, events)
    profile = collect_profile(pg_url, workload, dataclasses.replace(settings, what_if=False))
    assert profile.index_costs is None
    plan = optimize(workload, profile).result
    created = [s.statement for s in plan.ddl if s.statement.startswith("CREATE INDEX")]
    brin = [s for s in created if "USING brin (created_at)" in s]
    assert brin, created
    assert not [s for s in created if "(created_at)" in s and "brin" not in s]  # the BRIN, not a B-tree too
    statements = [*(s.statement for s in plan.ddl), *(s.statement for s in plan.migrations)]
    used = _indexes_used(pg_url, settings, statements, {q.queryid: q.query for q in plan.queries})
    assert brin[0].split()[2].strip('"') in used["day"], used
    report = verify_postgres_sync(workload, plan, pg_url, repetitions=1, settings=settings)
    assert all(q.status == "equal" for q in report.queries), report.errors
