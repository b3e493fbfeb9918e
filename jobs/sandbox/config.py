"""Where the sandbox lives and how it is shaped: :class:`SandboxConfig`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from jobs.settings import default_home

TRINO_VERSION = "476"
#: sha256 of ``io.trino:trino-server:476:tar.gz`` on Maven Central (checked against the download).
TRINO_SERVER_SHA256 = "cfd5accde17e8ebd251eeeb78aed1f490e77bb3a164d95a0f454bf8a7c1cbd3f"
TRINO_SERVER_SIZE = 821_045_832

#: Iceberg catalogs the shared workloads use (``flights``, ``quests``, ``mtpcds``) plus a general one.
DEFAULT_ICEBERG_CATALOGS = ("iceberg", "flights", "quests", "mtpcds")
#: The only plugins kept from the tarball; fewer plugins start faster and take less disk.
PLUGINS = ("iceberg", "tpch", "tpcds", "memory")


def default_cache_dir() -> Path:
    """``$LAKEOPT_CACHE_DIR`` or ``~/.cache/lakeopt``: downloads, never in git."""
    return Path(os.environ.get("LAKEOPT_CACHE_DIR") or Path.home() / ".cache" / "lakeopt")


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that decides where and how the sandbox runs.

    >>> config = SandboxConfig(home=Path("/x"), cache_dir=Path("/c"))
    >>> config.url, str(config.data_dir), config.iceberg_catalogs[1]
    ('jdbc:trino://127.0.0.1:18080?user=lakeopt', '/x/data', 'flights')
    """

    home: Path = field(default_factory=lambda: default_home() / "sandbox")
    cache_dir: Path = field(default_factory=default_cache_dir)
    host: str = "127.0.0.1"
    port: int = 18080
    user: str = "lakeopt"
    heap: str = "4G"
    iceberg_catalogs: tuple[str, ...] = DEFAULT_ICEBERG_CATALOGS
    #: A JDK 24+ to run Trino; found automatically when ``None`` (see :mod:`jobs.sandbox.java_runtime`).
    java_home: Path | None = None
    version: str = TRINO_VERSION

    @property
    def url(self) -> str:
        return f"jdbc:trino://{self.host}:{self.port}?user={self.user}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def etc_dir(self) -> Path:
        return self.home / "etc"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def server_log(self) -> Path:
        return self.data_dir / "var" / "log" / "server.log"

    @property
    def launcher_log(self) -> Path:
        return self.data_dir / "var" / "log" / "launcher.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "var" / "run" / "launcher.pid"

    @property
    def tarball(self) -> Path:
        return self.cache_dir / "trino" / f"trino-server-{self.version}.tar.gz"

    @property
    def install_dir(self) -> Path:
        """The unpacked server, trimmed to :data:`PLUGINS`."""
        return self.cache_dir / "trino" / f"trino-server-{self.version}-lakeopt"
