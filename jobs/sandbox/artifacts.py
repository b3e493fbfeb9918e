"""Fetching the Trino server from Maven Central once, checking it, and unpacking only what runs."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from jobs.db.download import ByteProgress, DownloadError, ensure_file, maven_url
from jobs.sandbox.config import PLUGINS, TRINO_SERVER_SHA256, TRINO_SERVER_SIZE, TRINO_VERSION, SandboxConfig

log = logging.getLogger(__name__)

#: Written last into an unpacked server: its presence means the unpack finished.
COMPLETE_MARKER = ".lakeopt-complete"


class ArtifactError(RuntimeError):
    """A download failed or its checksum is wrong."""


def server_tarball_url(version: str) -> str:
    return maven_url("io.trino", "trino-server", version, f"trino-server-{version}.tar.gz")


def expected_sha256(version: str) -> str:
    if version != TRINO_VERSION:
        raise ArtifactError(f"no pinned sha256 for Trino {version}; only {TRINO_VERSION} is supported")
    return TRINO_SERVER_SHA256


def ensure_tarball(config: SandboxConfig, *, on_bytes: ByteProgress | None = None) -> Path:
    """The cached server tarball, downloaded when missing or corrupt."""
    sha256 = expected_sha256(config.version)
    if not config.tarball.exists():
        log.info("downloading Trino %s server (%d MB) from Maven Central", config.version, TRINO_SERVER_SIZE >> 20)
    try:
        return ensure_file(server_tarball_url(config.version), config.tarball, sha256, on_bytes=on_bytes)
    except DownloadError as exc:
        raise ArtifactError(str(exc)) from exc


def ensure_server_artifacts(config: SandboxConfig | None = None, *, on_bytes: ByteProgress | None = None) -> Path:
    """The unpacked server (``bin/``, ``lib/`` and the plugins in :data:`PLUGINS`), fetched once."""
    config = config or SandboxConfig()
    install = config.install_dir
    if (install / COMPLETE_MARKER).exists():
        return install
    tarball = ensure_tarball(config, on_bytes=on_bytes)
    top = f"trino-server-{config.version}"
    with tempfile.TemporaryDirectory(dir=install.parent, prefix=".unpack-") as scratch:
        # GNU tar is several times faster than tarfile on this 800 MB archive. Everything is unpacked:
        # plugins share jars as hard links into other plugins, so a partial unpack breaks them.
        done = subprocess.run(["tar", "-xzf", str(tarball), "-C", scratch], capture_output=True, text=True)
        if done.returncode != 0:
            raise ArtifactError(f"unpacking {tarball} failed: {done.stderr.strip()[-2000:]}")
        unpacked = Path(scratch) / top
        for plugin in (unpacked / "plugin").iterdir():
            if plugin.name not in PLUGINS:
                shutil.rmtree(plugin)
        (unpacked / COMPLETE_MARKER).write_text(config.version)
        if install.exists():
            shutil.rmtree(install)
        unpacked.rename(install)
    return install
