"""The sandbox's configuration, artifact pinning, Java discovery and data generator SQL (no server needed)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from jobs.db.download import DownloadError, download, file_sha256
from jobs.sandbox.artifacts import ArtifactError, expected_sha256
from jobs.sandbox.config import SandboxConfig
from jobs.sandbox.data_generator import TableGenerator, row_numbers
from jobs.sandbox.data_shape import Column, TableSpec, plan_shape
from jobs.sandbox.java_runtime import JavaNotFoundError, find_java_home
from jobs.sandbox.query_facts import collect_query_facts
from jobs.sandbox.server_config import SandboxConfigError, catalog_properties, jvm_options, write_server_config
from jobs.sandbox.workload_loader import LoadError, created_table


def test_every_iceberg_catalog_has_its_own_lake_and_zstd(tmp_path: Path) -> None:
    config = SandboxConfig(home=tmp_path)
    catalogs = catalog_properties(config)
    assert set(catalogs) == {"tpch", "tpcds", "memory", "iceberg", "flights", "quests", "mtpcds"}
    locations = {catalogs[name]["local.location"] for name in config.iceberg_catalogs}
    assert len(locations) == 4
    assert all(catalogs[name]["iceberg.compression-codec"] == "ZSTD" for name in config.iceberg_catalogs)


def test_written_config_is_single_node_and_never_enables_the_security_manager(tmp_path: Path) -> None:
    config = SandboxConfig(home=tmp_path, heap="2G", iceberg_catalogs=("lake",))
    write_server_config(config, vector_module=True)
    properties = (tmp_path / "etc" / "config.properties").read_text()
    assert "http-server.http.port=18080" in properties
    assert "node-scheduler.include-coordinator=true" in properties
    jvm = (tmp_path / "etc" / "jvm.config").read_text()
    assert "-Xmx2G" in jvm and "security.manager" not in jvm
    assert (tmp_path / "data" / "lake" / "lake" / "metastore").is_dir()
    assert sorted(p.name for p in (tmp_path / "etc" / "catalog").iterdir()) == [
        "lake.properties",
        "memory.properties",
        "tpcds.properties",
        "tpch.properties",
    ]


def test_bad_heap_and_catalog_names_are_refused() -> None:
    with pytest.raises(SandboxConfigError, match="heap"):
        jvm_options(SandboxConfig(heap="lots"), vector_module=False)
    with pytest.raises(SandboxConfigError, match="tpch"):
        catalog_properties(SandboxConfig(iceberg_catalogs=("tpch",)))


def test_only_the_pinned_version_is_accepted_and_checksums_are_real(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="only 476"):
        expected_sha256("999")
    blob = tmp_path / "blob"
    blob.write_bytes(b"trino")
    assert file_sha256(blob) == hashlib.sha256(b"trino").hexdigest()


def test_missing_java_names_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(JavaNotFoundError, match=str(tmp_path)):
        find_java_home(tmp_path)


def test_ddl_must_create_a_fully_qualified_table() -> None:
    assert created_table("CREATE TABLE C.S.T (a int) WITH (format = 'PARQUET');") == "c.s.t"
    with pytest.raises(LoadError, match=r"catalog\.schema\.table"):
        created_table("CREATE TABLE t (a int)")


def test_row_numbers_cross_join_past_the_sequence_limit() -> None:
    sql = row_numbers(25_000)
    assert "sequence(0, 9999)" in sql and "sequence(0, 2)" in sql and "< 25000" in sql


def test_join_keys_share_a_domain_and_unique_keys_are_row_numbers() -> None:
    facts = collect_query_facts(
        ["SELECT 1 FROM q.p.h_client c JOIN q.p.l_pay p ON c.id = p.client_id WHERE p.channel = 'web'"]
    )
    hub = TableSpec("q.p.h_client", (Column("id", "integer"), Column("name", "varchar")))
    link = TableSpec("q.p.l_pay", (Column("client_id", "integer"), Column("channel", "varchar")))
    shape = plan_shape([hub, link], facts, base_rows=1000)
    assert TableGenerator(hub, shape, 100).expression(hub.columns[0]) == "CAST(i AS integer)"
    foreign = TableGenerator(link, shape, 1000).expression(link.columns[0])
    assert foreign.startswith("CAST(1 + CAST(floor(") and "* 100) AS bigint) AS integer)" in foreign
    assert "'web'" in TableGenerator(link, shape, 1000).expression(link.columns[1])


@pytest.mark.skipif(shutil.which("curl") is None, reason="file:// download goes through curl")
def test_download_keeps_a_file_only_when_its_sha256_matches(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"x" * 1000)
    target = tmp_path / "cache" / "artifact.bin"
    with pytest.raises(DownloadError, match="does not match"):
        download(source.as_uri(), target, "0" * 64)
    assert not target.exists() and not list(target.parent.iterdir())
    assert download(source.as_uri(), target, hashlib.sha256(b"x" * 1000).hexdigest()) == target
    assert target.read_bytes() == b"x" * 1000
