"""Range partitions on the real PostgreSQL: a readings table filtered by month. The rule is for
tables of 10M rows or more; the test's table has 60,000, and the profile is told it has 20M."""

from __future__ import annotations

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

DDL = "(id bigserial PRIMARY KEY, sensor int NOT NULL, at timestamp NOT NULL, value double precision)"


@pytest.fixture(scope="module")
def readings(pg_url: str, settings: Settings) -> Iterator[str]:
    name = f"rd_{uuid.uuid4().hex[:8]}"
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
        connection.execute(f"CREATE TABLE {name}.readings {DDL}")
        # 60,000 readings, one every 4 minutes from 2024-01-01: January to June.
        connection.execute(
            f"INSERT INTO {name}.readings (sensor, at, value) SELECT g % 40, timestamp '2024-01-01' "
            "+ g * interval '4 minutes', (g % 997) / 7.0 FROM generate_series(0, 59999) g"
        )
        connection.execute(f"ANALYZE {name}.readings")
    yield name
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name}_opt CASCADE")
        connection.execute(f"DROP SCHEMA {name} CASCADE")


def _workload(url: str, schema: str) -> Workload:
    month = (
        f"SELECT sensor, avg(value) AS mean, count(*) AS n FROM {schema}.readings "
        "WHERE at >= timestamp '2024-03-01' AND at < timestamp '2024-04-01' GROUP BY sensor ORDER BY sensor"
    )
    return parse_workload(
        {
            "url": url,
            "ddl": [{"statement": f"CREATE TABLE {schema}.readings {DDL}"}],
            "queries": [{"queryid": "march", "query": month, "runquantity": 500, "executiontime": 3.0}],
        }
    )


def _scanned(plan: dict[str, object]) -> set[str]:
    found = {str(plan["Relation Name"])} if "Relation Name" in plan else set()
    for child in plan.get("Plans", []) or []:  # type: ignore[attr-defined]
        found |= _scanned(child)
    return found


def test_a_very_large_table_filtered_by_month_is_range_partitioned(
    pg_url: str, settings: Settings, readings: str
) -> None:
    workload = _workload(pg_url, readings)
    profile = collect_profile(pg_url, workload, settings)
    profile.tables[f"lakeopt_test.{readings}.readings"].row_count = 2e7  # "very large"
    plan = optimize(workload, profile)
    ddl = [s.statement for s in plan.result.ddl]
    new = f"lakeopt_test.{readings}_opt.readings"
    assert f"CREATE TABLE {new} (id BIGINT NOT NULL, sensor INT NOT NULL, at TIMESTAMP NOT NULL, " in ddl[1]
    assert ddl[1].endswith("PARTITION BY RANGE (at)") and "PRIMARY KEY" not in ddl[1]
    partitions = [s for s in ddl if " PARTITION OF " in s]
    assert len(partitions) == 7, partitions  # January to June, and DEFAULT
    assert partitions[2].startswith(f"CREATE TABLE {new}_p2024_03 PARTITION OF {new} FOR VALUES FROM ('2024-03-01')")
    assert any(line.startswith("pg_partitions:") for line in plan.report.recommendations)

    report = verify_postgres_sync(workload, plan.result, pg_url, repetitions=1, settings=settings)
    assert [q.status for q in report.queries] == ["equal"], report.errors
    assert report.source_bytes > 1_000_000 and report.new_bytes > 1_000_000 and report.errors == []
    with connect_writable(pg_url, settings) as connection:
        sql = plan.result.queries[0].query
        explained = json.loads(str(connection.query(f"EXPLAIN (FORMAT JSON) {sql}").rows[0][0]))[0]["Plan"]
        assert _scanned(explained) == {"readings_p2024_03"}, explained  # pruned to March
        # The next load's rows outside the partitions' months land in DEFAULT instead of failing.
        connection.execute(f"INSERT INTO {new} (id, sensor, at, value) VALUES (-1, 1, timestamp '2031-05-01', 1.0)")
        assert connection.query(f"SELECT count(*) FROM {new}_default").rows[0][0] == 1
