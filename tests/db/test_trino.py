"""JDBC against the lakeopt Trino sandbox (LAKEOPT_TEST_TRINO_URL), and Trino failure handling."""

from __future__ import annotations

import dataclasses
import json
import socket
import time
import uuid

import pytest

from jobs.contract.workload import parse_workload
from jobs.db.connection import JdbcTimeout, connect, connect_writable
from jobs.db.guard import ReadOnlyViolation
from jobs.db.profiler import collect_profile
from jobs.settings import Settings, load_settings
from jobs.sql.jdbc_url import parse_jdbc_url
from tests.services import service_url

NATION_DDL = "CREATE TABLE tpch.tiny.nation (nationkey bigint, name varchar, regionkey bigint, comment varchar)"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return dataclasses.replace(load_settings(), jdbc_statement_timeout=60.0)


@pytest.fixture(scope="module")
def trino_url() -> str:
    return service_url("LAKEOPT_TEST_TRINO_URL", "the lakeopt Trino sandbox")


@pytest.mark.trino
def test_profile_of_tpch_nation(trino_url: str, settings: Settings) -> None:
    workload = parse_workload(
        {
            "ddl": [{"statement": NATION_DDL}],
            "queries": [
                {"queryid": "q1", "query": "SELECT name FROM tpch.tiny.nation WHERE regionkey = 1;"},
                {"queryid": "q2", "query": "SELECT no_such_column FROM tpch.tiny.nation"},
            ],
        }
    )
    started = time.monotonic()
    profile = collect_profile(trino_url, workload, settings)
    elapsed = time.monotonic() - started
    assert profile.engine == "trino"
    assert profile.warnings == []
    nation = profile.table("tpch.tiny.nation")
    assert nation is not None
    assert nation.row_count == 25
    assert list(nation.columns) == ["nationkey", "name", "regionkey", "comment"]
    assert nation.columns["nationkey"].distinct_values == 25
    assert (nation.columns["nationkey"].min_value, nation.columns["nationkey"].max_value) == ("0", "24")
    assert nation.columns["regionkey"].distinct_values == 5
    assert nation.columns["name"].null_fraction == 0
    assert nation.size_bytes is None  # the tpch connector stores nothing
    q1 = profile.explains["q1"]
    assert q1.error is None and q1.plan is not None
    assert json.loads(q1.plan)["inputTableColumnInfos"][0]["table"]["catalog"] == "tpch"
    assert q1.estimated_rows is not None and 0 < q1.estimated_rows <= 25
    assert profile.explains["q2"].error is not None and "no_such_column" in profile.explains["q2"].error
    print(f"Trino profile of tpch.tiny.nation + 2 queries: {elapsed:.2f}s")


@pytest.mark.trino
def test_iceberg_table_size_from_files(trino_url: str, settings: Settings) -> None:
    with connect_writable(trino_url, settings) as connection:
        catalogs = connection.execute(
            "SELECT catalog_name FROM system.metadata.catalogs WHERE connector_name = 'iceberg' ORDER BY catalog_name"
        ).rows
        assert catalogs, "the sandbox has no Iceberg catalog"
        catalog = "iceberg" if ("iceberg",) in catalogs else str(catalogs[0][0])
        schema = f"lakeopt_jdbc_{uuid.uuid4().hex[:8]}"
        connection.execute(f"CREATE SCHEMA {catalog}.{schema}")
        try:
            connection.execute(f"CREATE TABLE {catalog}.{schema}.nation AS SELECT * FROM tpch.tiny.nation")
            workload = parse_workload(
                {
                    "ddl": [{"statement": NATION_DDL.replace("tpch.tiny", f"{catalog}.{schema}")}],
                    "queries": [{"queryid": "q", "query": f"SELECT count(*) FROM {catalog}.{schema}.nation"}],
                }
            )
            profile = collect_profile(trino_url, workload, settings)
        finally:
            connection.execute(f"DROP TABLE IF EXISTS {catalog}.{schema}.nation")
            connection.execute(f"DROP SCHEMA {catalog}.{schema}")
    table = profile.table(f"{catalog}.{schema}.nation")
    assert profile.warnings == []
    assert table is not None and table.row_count == 25
    assert table.size_bytes is not None and table.size_bytes > 500


@pytest.mark.trino
def test_read_only_guard_and_timeout_on_trino(trino_url: str, settings: Settings) -> None:
    with connect(trino_url, settings, timeout=1) as connection:
        with pytest.raises(ReadOnlyViolation):
            connection.query("CREATE TABLE memory.default.x AS SELECT 1 AS a")
        with pytest.raises(ReadOnlyViolation):
            connection.query("EXPLAIN ANALYZE SELECT count(*) FROM tpch.tiny.nation")
        started = time.monotonic()
        with pytest.raises(JdbcTimeout):
            connection.query("SELECT count(*), sum(extendedprice) FROM tpch.sf1000.lineitem")
        assert time.monotonic() - started < 15
        assert connection.query("SELECT count(*) FROM tpch.tiny.region").rows == [(5,)]


@pytest.mark.trino
def test_password_over_plain_http_is_dropped_with_a_note(trino_url: str, settings: Settings) -> None:
    url = dataclasses.replace(parse_jdbc_url(trino_url), password="Ztr1no(pw)")
    if url.ssl:
        pytest.skip("the sandbox URL uses TLS")
    with connect(url, settings) as connection:
        assert connection.query("SELECT 1").rows == [(1,)]
        assert any("not SSL=true" in note for note in connection.notes)
    workload = parse_workload({"ddl": [{"statement": NATION_DDL}], "queries": [{"queryid": "q", "query": "SELECT 1"}]})
    profile = collect_profile(url.driver_url() + f"?user={url.user}&password=Ztr1no(pw)", workload, settings)
    assert profile.table("tpch.tiny.nation") is not None
    assert any("not SSL=true" in warning for warning in profile.warnings)
    assert "Ztr1no(pw)" not in profile.model_dump_json()


def test_unreachable_trino_is_a_warning(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workload = parse_workload({"ddl": [{"statement": NATION_DDL}], "queries": [{"queryid": "q", "query": "SELECT 1"}]})
    started = time.monotonic()
    profile = collect_profile(f"jdbc:trino://127.0.0.1:{port}/tpch?user=u", workload, settings)
    assert time.monotonic() - started < 30
    assert profile.engine == "trino" and profile.tables == {} and profile.explains == {}
    assert len(profile.warnings) == 1 and "cannot query" in profile.warnings[0]
