"""The downloader reports bytes as they arrive, through curl and through the Python fallback."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.db import download as downloader

PAYLOAD = bytes(range(256)) * 8192  # 2 MiB


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "server.tar.gz").write_bytes(PAYLOAD)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/server.tar.gz"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("curl", [True, False], ids=["curl", "python"])
def test_bytes_are_reported_up_to_the_whole_file(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, curl: bool
) -> None:
    if not curl:
        monkeypatch.setattr(shutil, "which", lambda name: None)
    elif shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    seen: list[tuple[int, int | None]] = []
    target = tmp_path / "cache" / "server.tar.gz"
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    downloader.download(served, target, sha, on_bytes=lambda done, total: seen.append((done, total)))
    assert target.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
