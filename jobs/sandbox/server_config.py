"""The sandbox's ``etc/``: node, JVM, server and catalog properties for a small single-node Trino."""

from __future__ import annotations

import re
from pathlib import Path

from jobs.sandbox.config import SandboxConfig

_CATALOG_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class SandboxConfigError(ValueError):
    """A sandbox setting that Trino would refuse, named."""


def jvm_options(config: SandboxConfig, *, vector_module: bool) -> list[str]:
    """JVM flags for Trino 476 on Java 24/25.

    Launcher 304 (shipped with 476) adds per-JDK flags only up to Java 24, so they are written here.
    ``-Djava.security.manager=allow`` must never appear: Java 24+ refuses to start with it.

    >>> opts = jvm_options(SandboxConfig(heap="2G"), vector_module=False)
    >>> "-Xmx2G" in opts, "--add-modules=jdk.incubator.vector" in opts
    (True, False)
    """
    if not re.fullmatch(r"\d+[MG]", config.heap):
        raise SandboxConfigError(f"heap must look like 4G or 3072M, got {config.heap!r}")
    options = [
        "-server",
        f"-Xmx{config.heap}",
        "-XX:+UseG1GC",
        "-XX:G1HeapRegionSize=32M",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:ReservedCodeCacheSize=256M",
        "-XX:PerMethodRecompilationCutoff=10000",
        "-XX:PerBytecodeRecompilationCutoff=10000",
        "-Djdk.attach.allowAttachSelf=true",
        "-Djdk.nio.maxCachedBufferSize=2000000",
        "-Dfile.encoding=UTF-8",
        f"-Djava.io.tmpdir={config.data_dir / 'tmp'}",
        "-XX:+EnableDynamicAgentLoading",
        "--sun-misc-unsafe-memory-access=allow",
        "--enable-native-access=ALL-UNNAMED",
    ]
    if vector_module:
        options.append("--add-modules=jdk.incubator.vector")
    return options


def _heap_bytes(heap: str) -> int:
    number, unit = int(heap[:-1]), heap[-1]
    return number * (1 << 30 if unit == "G" else 1 << 20)


def server_properties(config: SandboxConfig) -> dict[str, str]:
    """``config.properties``: coordinator schedules on itself, memory limits below the heap.

    >>> server_properties(SandboxConfig(heap="4G"))["query.max-memory-per-node"]
    '2048MB'
    """
    heap_mb = _heap_bytes(config.heap) >> 20
    per_node = heap_mb // 2
    headroom = heap_mb // 4
    return {
        "coordinator": "true",
        "node-scheduler.include-coordinator": "true",
        "http-server.http.port": str(config.port),
        "discovery.uri": f"http://{config.host}:{config.port}",
        "node.internal-address": config.host,
        "query.max-memory": f"{per_node}MB",
        "query.max-memory-per-node": f"{per_node}MB",
        "memory.heap-headroom-per-node": f"{headroom}MB",
        "experimental.concurrent-startup": "true",
        # Two cores: fewer, larger splits keep the scheduler overhead down.
        "task.concurrency": "2",
    }


def catalog_properties(config: SandboxConfig) -> dict[str, dict[str, str]]:
    """One properties map per catalog: tpch, tpcds, memory and one Iceberg catalog per configured name.

    Each Iceberg catalog keeps its own file metastore and data under ``lake/<catalog>`` so that
    schemas with the same name (``flights.public``, ``quests.public``) do not collide.

    >>> sorted(catalog_properties(SandboxConfig(iceberg_catalogs=("lake",))))
    ['lake', 'memory', 'tpcds', 'tpch']
    >>> catalog_properties(SandboxConfig(iceberg_catalogs=("Bad-Name",)))
    Traceback (most recent call last):
    ...
    jobs.sandbox.server_config.SandboxConfigError: catalog name 'Bad-Name' must be lower-case letters, digits and _
    """
    catalogs: dict[str, dict[str, str]] = {
        "tpch": {"connector.name": "tpch"},
        "tpcds": {"connector.name": "tpcds"},
        "memory": {"connector.name": "memory", "memory.max-data-per-node": "256MB"},
    }
    for name in config.iceberg_catalogs:
        if not _CATALOG_NAME.match(name) or name in catalogs:
            raise SandboxConfigError(f"catalog name {name!r} must be lower-case letters, digits and _")
        catalogs[name] = {
            "connector.name": "iceberg",
            "iceberg.catalog.type": "TESTING_FILE_METASTORE",
            "hive.metastore.catalog.dir": "local:///metastore",
            "fs.native-local.enabled": "true",
            "local.location": str(config.lake_dir / name),
            "iceberg.file-format": "PARQUET",
            # 476 has no table-level compression property; the catalog decides.
            "iceberg.compression-codec": "ZSTD",
            # A sorted write merges its spill files at the end, all open at once: at the default 50
            # a wide table (flights: 61 columns, 10M rows) ran the 4G heap out of memory.
            "iceberg.max-open-sort-files": "8",
        }
    return catalogs


def _properties_text(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def write_server_config(config: SandboxConfig, *, vector_module: bool) -> None:
    """(Re)write ``etc/`` and create the directories Trino expects to exist."""
    etc = config.etc_dir
    catalog_dir = etc / "catalog"
    catalog_dir.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "tmp").mkdir(parents=True, exist_ok=True)
    for stale in catalog_dir.glob("*.properties"):
        stale.unlink()
    node = {"node.environment": "lakeopt", "node.id": "lakeopt-sandbox", "node.data-dir": str(config.data_dir)}
    _write(etc / "node.properties", _properties_text(node))
    _write(etc / "jvm.config", "".join(f"{line}\n" for line in jvm_options(config, vector_module=vector_module)))
    _write(etc / "config.properties", _properties_text(server_properties(config)))
    # WARN keeps the log small; Server=INFO keeps the "SERVER STARTED" line.
    _write(etc / "log.properties", "io.trino=WARN\nio.trino.server.Server=INFO\norg.apache.iceberg=WARN\n")
    for name, values in catalog_properties(config).items():
        if values["connector.name"] == "iceberg":
            Path(values["local.location"], "metastore").mkdir(parents=True, exist_ok=True)
        _write(catalog_dir / f"{name}.properties", _properties_text(values))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
