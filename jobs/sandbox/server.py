"""Starting, stopping and inspecting the sandbox Trino process."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from jobs.db.download import ByteProgress
from jobs.db.trino_client import TrinoClient, TrinoQueryError
from jobs.sandbox.artifacts import ensure_server_artifacts
from jobs.sandbox.config import SandboxConfig
from jobs.sandbox.java_runtime import find_java_home, has_vector_module
from jobs.sandbox.server_config import write_server_config

log = logging.getLogger(__name__)

#: Trino exits below 4096 open files and warns below 8192.
MIN_OPEN_FILES = 8192


class SandboxError(RuntimeError):
    """The sandbox could not be started or reached; the message carries the server log tail."""


@dataclass(frozen=True)
class SandboxStatus:
    running: bool
    ready: bool
    pid: int | None
    url: str
    version: str | None = None
    uptime: str | None = None
    catalogs: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.running:
            return f"stopped ({self.url})"
        state = "ready" if self.ready else "starting"
        return f"{state}: Trino {self.version or '?'} pid {self.pid} at {self.url}, catalogs {', '.join(self.catalogs)}"


def _launcher(config: SandboxConfig, install: Path, *args: str, java_home: Path | None = None) -> list[str]:
    command = [str(install / "bin" / "launcher"), f"--etc-dir={config.etc_dir}", f"--data-dir={config.data_dir}"]
    if java_home is not None:
        command.append(f"--jvm-dir={java_home}")
    return [*command, *args]


def _raise_open_files_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MIN_OPEN_FILES * 8 if hard == resource.RLIM_INFINITY else min(hard, MIN_OPEN_FILES * 8)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < 4096:
        raise SandboxError(f"Trino needs at least 4096 open files; the hard limit here is {hard}")


def read_pid(config: SandboxConfig) -> int | None:
    """The server's PID from the launcher's PID file, if that process is alive."""
    try:
        pid = int(config.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _log_tail(config: SandboxConfig, lines: int = 40) -> str:
    for path in (config.server_log, config.launcher_log):
        if path.exists():
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                return f"\n--- last lines of {path}:\n" + "\n".join(tail)
    return ""


def client(config: SandboxConfig) -> TrinoClient:
    return TrinoClient(config.host, config.port, config.user)


def _server_info(config: SandboxConfig) -> dict[str, object] | None:
    try:
        response = httpx.get(f"{config.http_url}/v1/info", timeout=5.0)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    info = response.json()
    return info if isinstance(info, dict) else None


def wait_until_ready(config: SandboxConfig, timeout: float = 300.0) -> None:
    """Wait for ``/v1/info`` to stop "starting", then until a real query runs.

    Right after start-up the first queries can fail with "No nodes available to run query", so the
    probe query is retried rather than trusting ``/v1/info`` alone.
    """
    deadline = time.monotonic() + timeout
    last_error = "no answer from /v1/info"
    while time.monotonic() < deadline:
        if config.pid_file.exists() and read_pid(config) is None:
            raise SandboxError(f"Trino exited during start-up{_log_tail(config)}")
        info = _server_info(config)
        if info is not None and info.get("starting") is False:
            try:
                if client(config).scalar("SELECT count(*) FROM tpch.tiny.nation") == 25:
                    return
            except (TrinoQueryError, httpx.HTTPError) as exc:
                last_error = str(exc)
        time.sleep(1.0)
    raise SandboxError(f"Trino was not ready after {timeout:.0f} s ({last_error}){_log_tail(config)}")


def start(
    config: SandboxConfig | None = None, *, timeout: float = 300.0, on_bytes: ByteProgress | None = None
) -> SandboxStatus:
    """Fetch (cached; ``on_bytes`` sees a download), configure and start the sandbox, returning once it
    answers queries.

    Starting an already running sandbox only waits for it to be ready.
    """
    config = config or SandboxConfig()
    if read_pid(config) is None:
        install = ensure_server_artifacts(config, on_bytes=on_bytes)
        java_home = find_java_home(config.java_home)
        write_server_config(config, vector_module=has_vector_module(java_home))
        _raise_open_files_limit()
        done = subprocess.run(
            _launcher(config, install, "start", java_home=java_home), capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise SandboxError(f"launcher start failed: {(done.stdout + done.stderr).strip()}{_log_tail(config)}")
        log.info("started Trino (%s)", done.stdout.strip())
    wait_until_ready(config, timeout)
    return status(config)


def stop(config: SandboxConfig | None = None, *, timeout: float = 120.0) -> bool:
    """Stop the sandbox (SIGTERM, then kill after ``timeout``); ``False`` when it was not running."""
    config = config or SandboxConfig()
    pid = read_pid(config)
    if pid is None:
        return False
    install = config.install_dir
    if not (install / "bin" / "launcher").exists():
        # Started with another cache directory (LAKEOPT_CACHE_DIR): stop it by its PID.
        return _stop_pid(pid, timeout)
    try:
        subprocess.run(_launcher(config, install, "stop"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        # launcher stop waits forever for a stuck JVM.
        subprocess.run(_launcher(config, install, "kill"), capture_output=True, timeout=60, check=False)
    return True


def _stop_pid(pid: int, timeout: float) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            os.kill(pid, 0)  # ProcessLookupError once it is gone
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
    return True


def status(config: SandboxConfig | None = None) -> SandboxStatus:
    """Whether the sandbox process runs and answers, with its version and catalogs."""
    config = config or SandboxConfig()
    pid = read_pid(config)
    info = _server_info(config) if pid is not None else None
    if pid is None:
        return SandboxStatus(running=False, ready=False, pid=None, url=config.url)
    ready = info is not None and info.get("starting") is False
    catalogs: tuple[str, ...] = ()
    if ready:
        try:
            catalogs = tuple(row[0] for row in client(config).execute("SHOW CATALOGS").rows)
        except (TrinoQueryError, httpx.HTTPError):
            ready = False
    version = info.get("nodeVersion", {}) if info else {}
    return SandboxStatus(
        running=True,
        ready=ready,
        pid=pid,
        url=config.url,
        version=str(version.get("version")) if isinstance(version, dict) else None,
        uptime=str(info.get("uptime")) if info else None,
        catalogs=catalogs,
    )
