"""JDBC against a real PostgreSQL (LAKEOPT_TEST_PG_URL, started by .ci/services/20-postgres.sh)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from jobs.contract.workload import Workload, parse_workload
from jobs.db.connection import (
    JdbcError,
    JdbcTimeout,
    connect,
    connect_async,
    connect_writable,
)
from jobs.db.guard import ReadOnlyViolation
from jobs.db.profiler import collect_profile, collect_profile_async
from jobs.settings import Settings, load_settings
from jobs.sql.jdbc_url import JdbcUrl, parse_jdbc_url
from tests.services import service_url

pytestmark = pytest.mark.postgres

ROWS = 2000


@pytest.fixture(scope="module")
def pg_url() -> str:
    return service_url("LAKEOPT_TEST_PG_URL", "PostgreSQL")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return dataclasses.replace(load_settings(), jdbc_statement_timeout=30.0)


@pytest.fixture(scope="module")
def schema(pg_url: str, settings: Settings) -> Iterator[str]:
    """A fresh schema with an ANALYZEd table ``items`` of ROWS rows; dropped afterwards."""
    name = f"lakeopt_t_{uuid.uuid4().hex[:10]}"
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
        connection.execute(
            f"CREATE TABLE {name}.items (id integer, name text, price numeric(10, 2), created date, note text)"
        )
        connection.execute(
            f"INSERT INTO {name}.items SELECT g, 'name' || (g % 10), (g % 100) * 1.5, "
            f"date '2024-01-01' + (g % 366), CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || g END "
            f"FROM generate_series(1, {ROWS}) AS g"
        )
        connection.execute(f"ANALYZE {name}.items")
        connection.execute(f"CREATE SEQUENCE {name}.seq")
    yield name
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"DROP SCHEMA {name} CASCADE")


def _workload(url: JdbcUrl, schema: str, query: str | None = None) -> Workload:
    table = f"{url.database}.{schema}.items"
    return parse_workload(
        {
            "ddl": [
                {"statement": f"CREATE TABLE {table} (id integer, name text, price numeric, created date, note text);"},
                {"statement": f"CREATE TABLE {url.database}.{schema}.absent (id integer)"},
            ],
            "queries": [
                {
                    "queryid": "q1",
                    "query": query or f"SELECT name, count(*) FROM {table} WHERE id > 100 GROUP BY name;",
                },
                {"queryid": "q2", "query": f"DELETE FROM {table}"},
            ],
        }
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_profile_has_statistics_size_and_explain(pg_url: str, settings: Settings, schema: str) -> None:
    url = parse_jdbc_url(pg_url)
    progress: list[tuple[str, float]] = []
    started = time.monotonic()
    profile = collect_profile(
        pg_url, _workload(url, schema), settings, on_progress=lambda f, m: progress.append((m, f))
    )
    elapsed = time.monotonic() - started
    assert profile.engine == "postgresql"
    table = profile.table(f"{url.database}.{schema}.items")
    assert table is not None
    assert table.row_count == ROWS
    assert table.size_bytes is not None and table.size_bytes > 8192
    assert list(table.columns) == ["id", "name", "price", "created", "note"]
    ids, names, notes, created = (table.columns[c] for c in ("id", "name", "note", "created"))
    assert ids.distinct_values == ROWS  # n_distinct -1 (all distinct) scaled by the row count
    assert (ids.min_value, ids.max_value, ids.null_fraction) == ("1", str(ROWS), 0.0)
    assert names.distinct_values == 10
    assert (names.min_value, names.max_value) == ("name0", "name9")
    assert notes.null_fraction == pytest.approx(0.25, abs=0.02)
    assert (created.min_value, created.max_value) == ("2024-01-01", "2024-12-31")
    assert ids.data_size == pytest.approx(4 * ROWS)
    # the missing table and the refused DELETE are warnings/errors, not failures
    assert profile.table(f"{url.database}.{schema}.absent") is None
    assert any("absent does not exist" in warning for warning in profile.warnings)
    q1, q2 = profile.explains["q1"], profile.explains["q2"]
    assert q1.error is None and q1.plan is not None and '"Plan"' in q1.plan
    assert q1.estimated_rows == 10
    assert q1.estimated_bytes is not None and q1.estimated_bytes > 0
    assert q2.plan is None and q2.error is not None and "read-only guard" in q2.error
    fractions = [fraction for _, fraction in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    print(f"PostgreSQL profile of a {ROWS}-row table + 2 queries: {elapsed:.2f}s")


def test_guard_refuses_before_the_driver(pg_url: str, settings: Settings, schema: str) -> None:
    connection = connect(pg_url, settings)
    with connection:
        for sql in (
            f"DELETE FROM {schema}.items",
            f"INSERT INTO {schema}.items (id) VALUES (-1)",
            f"DROP TABLE {schema}.items",
            f"SELECT 1; DROP TABLE {schema}.items",
            f"WITH d AS (DELETE FROM {schema}.items RETURNING *) SELECT count(*) FROM d",
            f"EXPLAIN ANALYZE DELETE FROM {schema}.items",
        ):
            with pytest.raises(ReadOnlyViolation):
                connection.query(sql)
        assert connection.query(f"SELECT count(*) FROM {schema}.items").rows == [(ROWS,)]
    # On a closed connection a write is still refused by the guard (it never gets to the driver),
    # while a read reaches the driver and fails there.
    with pytest.raises(ReadOnlyViolation):
        connection.query(f"DELETE FROM {schema}.items")
    with pytest.raises(JdbcError):
        connection.query("SELECT 1")


def test_read_only_session_refuses_side_effects(pg_url: str, settings: Settings, schema: str) -> None:
    with connect(pg_url, settings) as connection, pytest.raises(JdbcError, match="read-only transaction"):
        connection.query(f"SELECT nextval('{schema}.seq')")
    with connect_writable(pg_url, settings) as writable:
        assert writable.execute(f"SELECT nextval('{schema}.seq')").rows == [(1,)]


def test_statement_timeout(pg_url: str, settings: Settings) -> None:
    with connect(pg_url, settings, timeout=1) as connection:
        started = time.monotonic()
        with pytest.raises(JdbcTimeout):
            connection.query("SELECT pg_sleep(20)")
        assert time.monotonic() - started < 8
        assert connection.query("SELECT 1").rows == [(1,)]  # the connection survives a cancelled statement
    with connect(pg_url, settings, timeout=7) as connection:
        # the server-side limit is set too
        assert connection.query("SHOW statement_timeout").rows == [("7s",)]


def test_wrong_password_is_a_warning(pg_url: str, settings: Settings, schema: str) -> None:
    url = parse_jdbc_url(pg_url)
    wrong = "Zwr0ng(pw)%x"
    bad_url = f"{url.driver_url()}?user={url.user}&password={wrong.replace('%', '%25')}"
    with pytest.raises(JdbcError) as caught:
        connect(bad_url, settings)
    assert "password authentication failed" in str(caught.value)
    assert wrong not in str(caught.value)
    profile = collect_profile(bad_url, _workload(url, schema), settings)
    assert profile.tables == {} and profile.explains == {}
    assert len(profile.warnings) == 1
    assert "password authentication failed" in profile.warnings[0]
    assert "password=***" in profile.warnings[0]
    assert wrong not in profile.model_dump_json()


def test_unreachable_host_is_a_warning(settings: Settings) -> None:
    url = f"jdbc:postgresql://127.0.0.1:{_closed_port()}/db?user=u&password=Zpw(1)"
    workload = parse_workload(
        {
            "ddl": [{"statement": "CREATE TABLE db.s.t (a int)"}],
            "queries": [{"queryid": "q", "query": "SELECT a FROM db.s.t"}],
        }
    )
    started = time.monotonic()
    profile = collect_profile(url, workload, settings)
    assert time.monotonic() - started < 15
    assert profile.engine == "postgresql"
    assert profile.tables == {} and profile.explains == {}
    assert len(profile.warnings) == 1 and "cannot connect" in profile.warnings[0]
    assert "Zpw(1)" not in profile.model_dump_json()


def test_malformed_url_is_a_warning(settings: Settings) -> None:
    workload = parse_workload(
        {"ddl": [{"statement": "CREATE TABLE db.s.t (a int)"}], "queries": [{"queryid": "q", "query": "SELECT 1"}]}
    )
    profile = collect_profile("jdbc:oracle://h:1/x?password=Zpw(1)", workload, settings)
    assert profile.engine is None and profile.tables == {}
    assert "unsupported JDBC URL scheme" in profile.warnings[0]
    assert "Zpw(1)" not in profile.warnings[0]


def test_password_never_in_logs_errors_or_profile(
    pg_url: str, settings: Settings, schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = parse_jdbc_url(pg_url)
    assert url.password
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    profile = collect_profile(pg_url, _workload(url, schema, query=f"SELECT nope FROM {schema}.items"), settings)
    texts.append(profile.model_dump_json())
    with connect(pg_url, settings) as connection:
        texts += [repr(connection), str(connection.url), repr(connection.url)]
        with pytest.raises(JdbcError) as caught:
            connection.query(f"SELECT '{url.password}'::int")  # the password inside a failing statement
        texts.append(str(caught.value))
    texts.append(caplog.text)
    assert profile.explains["q1"].error is not None
    for text in texts:
        assert url.password not in text


async def test_async_calls_do_not_block_the_event_loop(pg_url: str, settings: Settings, schema: str) -> None:
    url = parse_jdbc_url(pg_url)
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    connection = await connect_async(pg_url, settings)
    try:
        result = await connection.query_async("SELECT pg_sleep(0.5), 42")
    finally:
        await connection.close_async()
    profile = await collect_profile_async(pg_url, _workload(url, schema), settings)
    stop.set()
    await task
    assert result.rows == [("", 42)]
    assert profile.table(f"{url.database}.{schema}.items") is not None
    assert ticks >= 20  # the loop kept running during the 0.5 s sleep and the profile
