"""The one downloader: pinned artifacts from Maven Central, kept only when their sha256 matches.

JDBC drivers and the sandbox's Trino server both come through here. A download goes to a temp
file in the target's folder and is renamed into place: a reader never sees a half-written file,
and two processes downloading at once both end with a complete one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


class DownloadError(RuntimeError):
    """A download failed, or what arrived does not have the pinned sha256."""


def maven_url(group: str, artifact: str, version: str, file_name: str) -> str:
    """
    >>> maven_url("io.trino", "trino-server", "476", "trino-server-476.tar.gz")
    'https://repo1.maven.org/maven2/io/trino/trino-server/476/trino-server-476.tar.gz'
    """
    return f"{MAVEN_CENTRAL}/{group.replace('.', '/')}/{artifact}/{version}/{file_name}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, partial: Path, timeout: float) -> None:
    # curl, when installed, is several times faster than a Python read loop for the 800 MB server.
    curl = shutil.which("curl")
    if curl is not None:
        done = subprocess.run(
            [curl, "-fsSL", "--retry", "3", "--max-time", str(int(timeout)), "-o", str(partial), url],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise DownloadError(f"downloading {url} failed: {done.stderr.strip() or f'curl exit {done.returncode}'}")
        return
    try:
        with partial.open("wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DownloadError(f"downloading {url} failed: {exc}") from exc


def download(url: str, target: Path, sha256: str, *, timeout: float = 600.0) -> Path:
    """Fetch ``url`` to ``target``, keeping it only if its sha256 is ``sha256``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    partial = Path(temp_name)
    try:
        _fetch(url, partial, timeout)
        actual = file_sha256(partial)
        if actual != sha256:
            raise DownloadError(f"{url} has sha256 {actual}, expected {sha256}: it does not match; refusing it")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def ensure_file(url: str, target: Path, sha256: str, *, timeout: float = 600.0) -> Path:
    """``target`` when it is there with the right sha256, else downloaded (a corrupt copy is replaced)."""
    if target.is_file():
        if file_sha256(target) == sha256:
            return target
        log.warning("%s has the wrong sha256; downloading it again", target)
    log.info("downloading %s", url)
    return download(url, target, sha256, timeout=timeout)
