"""Fetching the Trino server from Maven Central once, checking it, and unpacking only what runs."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx

from jobs.jdbc.drivers import file_sha256 as sha256_of
from jobs.sandbox.config import MAVEN_CENTRAL, PLUGINS, TRINO_SERVER_SHA256, TRINO_VERSION, SandboxConfig

log = logging.getLogger(__name__)

#: Written last into an unpacked server: its presence means the unpack finished.
COMPLETE_MARKER = ".lakeopt-complete"


class ArtifactError(RuntimeError):
    """A download failed or its checksum is wrong."""


def server_tarball_url(version: str) -> str:
    """
    >>> server_tarball_url("476")
    'https://repo1.maven.org/maven2/io/trino/trino-server/476/trino-server-476.tar.gz'
    """
    return f"{MAVEN_CENTRAL}/io/trino/trino-server/{version}/trino-server-{version}.tar.gz"


def expected_sha256(version: str) -> str:
    if version != TRINO_VERSION:
        raise ArtifactError(f"no pinned sha256 for Trino {version}; only {TRINO_VERSION} is supported")
    return TRINO_SERVER_SHA256


def _fetch_with_httpx(url: str, partial: Path, timeout: float) -> None:
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise ArtifactError(f"GET {url} answered HTTP {response.status_code}")
            with partial.open("wb") as handle:
                for chunk in response.iter_bytes(1 << 20):
                    handle.write(chunk)
    except httpx.HTTPError as exc:
        raise ArtifactError(f"downloading {url} failed: {exc}") from exc


def download(url: str, target: Path, sha256: str, *, timeout: float = 600.0) -> Path:
    """Fetch ``url`` to ``target`` (via a ``.part`` file), keeping it only if the sha256 matches.

    curl, when installed, is used because it is several times faster than a Python loop for 800 MB.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    curl = shutil.which("curl")
    if curl is not None:
        done = subprocess.run(
            [curl, "-fsSL", "--retry", "3", "--max-time", str(int(timeout)), "-o", str(partial), url],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise ArtifactError(f"downloading {url} failed: {done.stderr.strip() or f'curl exit {done.returncode}'}")
    else:
        _fetch_with_httpx(url, partial, timeout)
    actual = sha256_of(partial)
    if actual != sha256:
        partial.unlink(missing_ok=True)
        raise ArtifactError(f"{url}: sha256 {actual} does not match the pinned {sha256}")
    partial.replace(target)
    return target


def ensure_tarball(config: SandboxConfig) -> Path:
    """The cached server tarball, downloaded when missing or corrupt."""
    sha256 = expected_sha256(config.version)
    tarball = config.tarball
    if tarball.exists():
        if sha256_of(tarball) == sha256:
            return tarball
        log.warning("cached %s has a wrong sha256; downloading it again", tarball)
        tarball.unlink()
    log.info("downloading Trino %s server (%d MB) from Maven Central", config.version, 821)
    return download(server_tarball_url(config.version), tarball, sha256)


def ensure_server_artifacts(config: SandboxConfig | None = None) -> Path:
    """The unpacked server (``bin/``, ``lib/`` and the plugins in :data:`PLUGINS`), fetched once."""
    config = config or SandboxConfig()
    install = config.install_dir
    if (install / COMPLETE_MARKER).exists():
        return install
    tarball = ensure_tarball(config)
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
