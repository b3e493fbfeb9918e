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
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"

#: Called with (bytes so far, bytes in all or ``None`` when the server does not say) while a file downloads.
ByteProgress = Callable[[int, "int | None"], None]
#: Seconds between two byte counts while curl downloads.
POLL_SECONDS = 0.25


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


def _length(url: str, timeout: float) -> int | None:
    """The size the server announces for ``url`` (a HEAD request), if it does."""
    try:
        request = urllib.request.Request(url, method="HEAD")  # noqa: S310
        with urllib.request.urlopen(request, timeout=min(timeout, 30.0)) as response:  # noqa: S310
            length = response.headers.get("content-length")
    except (urllib.error.URLError, TimeoutError, OSError):
        return None
    return int(length) if length and length.isdigit() else None


def _curl(curl: str, url: str, partial: Path, timeout: float, on_bytes: ByteProgress | None) -> None:
    command = [curl, "-fsSL", "--retry", "3", "--max-time", str(int(timeout)), "-o", str(partial), url]
    if on_bytes is None:
        done = subprocess.run(command, capture_output=True, text=True)
        code, stderr = done.returncode, done.stderr
    else:
        total = _length(url, timeout)
        # curl writes the file as it goes: its size is the progress.
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
            while process.poll() is None:
                on_bytes(partial.stat().st_size if partial.exists() else 0, total)
                time.sleep(POLL_SECONDS)
            stderr = process.stderr.read() if process.stderr else ""
            code = process.returncode
        if code == 0:
            on_bytes(partial.stat().st_size, total)
    if code != 0:
        raise DownloadError(f"downloading {url} failed: {stderr.strip() or f'curl exit {code}'}")


def _fetch(url: str, partial: Path, timeout: float, on_bytes: ByteProgress | None = None) -> None:
    # curl, when installed, is several times faster than a Python read loop for the 800 MB server.
    curl = shutil.which("curl")
    if curl is not None:
        _curl(curl, url, partial, timeout, on_bytes)
        return
    try:
        with partial.open("wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                done += len(block)
                if on_bytes is not None:
                    on_bytes(done, total)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DownloadError(f"downloading {url} failed: {exc}") from exc


def download(
    url: str, target: Path, sha256: str, *, timeout: float = 600.0, on_bytes: ByteProgress | None = None
) -> Path:
    """Fetch ``url`` to ``target``, keeping it only if its sha256 is ``sha256``; ``on_bytes`` sees the bytes arrive."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    partial = Path(temp_name)
    try:
        _fetch(url, partial, timeout, on_bytes)
        actual = file_sha256(partial)
        if actual != sha256:
            raise DownloadError(f"{url} has sha256 {actual}, expected {sha256}: it does not match; refusing it")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def ensure_file(
    url: str, target: Path, sha256: str, *, timeout: float = 600.0, on_bytes: ByteProgress | None = None
) -> Path:
    """``target`` when it is there with the right sha256, else downloaded (a corrupt copy is replaced)."""
    if target.is_file():
        if file_sha256(target) == sha256:
            return target
        log.warning("%s has the wrong sha256; downloading it again", target)
    log.info("downloading %s", url)
    return download(url, target, sha256, timeout=timeout, on_bytes=on_bytes)
