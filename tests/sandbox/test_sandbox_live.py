"""The running sandbox: its catalogs, the generator on a real Trino, and every shared workload's queries.

The shared workloads are loaded by .ci/services/30-trino.sh (``lakeopt sandbox load ... --scale 0.01``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from jobs.contract.workload import parse_workload, parse_workload_json
from jobs.db.trino_client import TrinoClient, TrinoQueryError
from jobs.sandbox.config import SandboxConfig
from jobs.sandbox.server import status
from jobs.sandbox.workload_loader import clean_statement, load_workload
from tests.sandbox.conftest import shared_workloads_dir

pytestmark = pytest.mark.trino

#: Queries of each shared workload that must return rows at the CI scale (the rest filter on volumes,
#: e.g. ``HAVING COUNT(*) > 1000``, that 10,000 flights cannot reach).
MIN_WITH_ROWS = {"flights": 12, "questsH": 10, "tpcds": 15}


def test_sandbox_has_every_catalog_and_iceberg_writes_zstd_parquet(trino: TrinoClient) -> None:
    catalogs = {row[0] for row in trino.execute("SHOW CATALOGS").rows}
    assert {"iceberg", "flights", "quests", "mtpcds", "tpch", "tpcds", "memory"} <= catalogs
    assert trino.scalar("SELECT count(*) FROM tpch.tiny.nation") == 25
    assert trino.scalar("SELECT node_version FROM system.runtime.nodes") == "476"
    properties = dict(trino.execute('SELECT key, value FROM flights.public."flights$properties"').rows)
    assert properties["write.parquet.compression-codec"] == "zstd"


def test_status_reports_the_running_sandbox(trino: TrinoClient) -> None:
    state = status(SandboxConfig())
    assert state.running and state.ready and state.version == "476" and state.pid
    assert {"flights", "quests", "mtpcds"} <= set(state.catalogs)
    assert state.describe().startswith("ready: Trino 476")
    stopped = status(SandboxConfig(home=Path("/nonexistent-lakeopt-sandbox")))
    assert not stopped.running and stopped.describe().startswith("stopped")


def test_generated_joins_match_and_filter_literals_exist(trino: TrinoClient) -> None:
    workload = parse_workload(
        {
            "ddl": [
                {"statement": "CREATE TABLE iceberg.sandbox_test.h_shop (id integer, name varchar);"},
                {
                    "statement": "CREATE TABLE iceberg.sandbox_test.l_sale (shop_id integer, kind varchar, "
                    "amount decimal(10, 2), sold_at timestamp(6), note varchar)"
                },
            ],
            "queries": [
                {
                    "queryid": "q1",
                    "query": "SELECT h.name, sum(s.amount) FROM iceberg.sandbox_test.h_shop h JOIN "
                    "iceberg.sandbox_test.l_sale s ON h.id = s.shop_id WHERE s.kind = 'refund' "
                    "AND s.sold_at >= TIMESTAMP '2024-03-01' GROUP BY h.name",
                }
            ],
        }
    )
    for _ in range(2):  # loading twice is idempotent: same tables, same rows
        report = load_workload(trino, workload, scale=0.002)
    assert [(t.name, t.rows) for t in report.tables] == [
        ("iceberg.sandbox_test.h_shop", 200),
        ("iceberg.sandbox_test.l_sale", 2000),
    ]
    orphans = trino.scalar(
        "SELECT count(*) FROM iceberg.sandbox_test.l_sale s LEFT JOIN iceberg.sandbox_test.h_shop h "
        "ON h.id = s.shop_id WHERE h.id IS NULL"
    )
    assert orphans == 0
    assert trino.scalar("SELECT count(*) FROM iceberg.sandbox_test.l_sale WHERE kind = 'refund'") > 0
    low, high = trino.execute("SELECT min(sold_at), max(sold_at) FROM iceberg.sandbox_test.l_sale").rows[0]
    assert low < datetime(2024, 3, 1) < high
    # Skew: the most frequent shop has many times the average share.
    top = trino.scalar("SELECT max(c) FROM (SELECT count(*) c FROM iceberg.sandbox_test.l_sale GROUP BY shop_id)")
    assert top > 5 * 2000 / 200
    assert all(t.bytes > 0 for t in report.tables)


def test_generated_data_has_roles_categories_and_zipf_keys(trino: TrinoClient) -> None:
    # No prefixes: only the join graph says devices is a dimension of readings.
    workload = parse_workload(
        {
            "ddl": [
                {"statement": "CREATE TABLE iceberg.sandbox_real.devices (device_id integer, device_type varchar)"},
                {
                    "statement": "CREATE TABLE iceberg.sandbox_real.readings (device_id integer, status varchar, "
                    "origin varchar, note varchar, taken_at timestamp(6), value double)"
                },
            ],
            "queries": [
                {
                    "queryid": "q1",
                    "query": "SELECT d.device_type, r.status, r.origin, avg(r.value) "
                    "FROM iceberg.sandbox_real.readings r "
                    "JOIN iceberg.sandbox_real.devices d ON r.device_id = d.device_id "
                    "WHERE r.status IN ('ok', 'late') GROUP BY d.device_type, r.status, r.origin",
                }
            ],
        }
    )
    report = load_workload(trino, workload, scale=0.01)
    assert [(t.name, t.rows) for t in report.tables] == [
        ("iceberg.sandbox_real.devices", 1000),
        ("iceberg.sandbox_real.readings", 10000),
    ]
    distinct = trino.execute(
        "SELECT count(DISTINCT status), count(DISTINCT origin), count(DISTINCT note), count_if(note IS NULL), "
        "count_if(status IS NULL), count(DISTINCT device_id) FROM iceberg.sandbox_real.readings"
    ).rows[0]
    statuses, origins, notes, null_notes, null_statuses, devices = distinct
    assert statuses <= 6 and origins <= 100 and notes > 2000  # named category, group key, free text
    assert null_notes > 0 and null_statuses == 0
    assert devices <= 1000
    assert trino.scalar("SELECT count(DISTINCT device_type) FROM iceberg.sandbox_real.devices") <= 8
    # Zipf: the most frequent of about six statuses holds far more than a sixth of the rows.
    shares = trino.execute("SELECT count(*) FROM iceberg.sandbox_real.readings GROUP BY status ORDER BY 1 DESC").rows
    assert shares[0][0] > 2 * 10000 / len(shares)
    assert {row[0] for row in trino.execute("SELECT DISTINCT status FROM iceberg.sandbox_real.readings").rows} >= {
        "ok",
        "late",
    }
    orphans = trino.scalar(
        "SELECT count(*) FROM iceberg.sandbox_real.readings r LEFT JOIN iceberg.sandbox_real.devices d "
        "ON r.device_id = d.device_id WHERE d.device_id IS NULL"
    )
    assert orphans == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["flights", "questsH", "tpcds"])
def test_every_shared_workload_query_runs_on_the_loaded_sandbox(trino: TrinoClient, name: str) -> None:
    workload = parse_workload_json((shared_workloads_dir() / f"{name}.json").read_bytes())
    failures: list[str] = []
    with_rows = 0
    for query in workload.queries:
        try:
            result = trino.execute(clean_statement(query.query), timeout=120)
        except TrinoQueryError as exc:
            failures.append(f"{query.queryid}: {exc}")
            continue
        with_rows += bool(result.rows)
    assert failures == []
    assert with_rows >= MIN_WITH_ROWS[name], f"{with_rows} of {len(workload.queries)} queries returned rows"


def test_a_missing_catalog_is_named(trino: TrinoClient) -> None:
    from jobs.sandbox.workload_loader import LoadError

    workload = parse_workload(
        {"ddl": [{"statement": "CREATE TABLE nowhere.s.t (a int)"}], "queries": [{"queryid": "q", "query": "SELECT 1"}]}
    )
    with pytest.raises(LoadError, match="'nowhere'"):
        load_workload(trino, workload)
