"""SIGTERM stops `lakeopt serve` cleanly even after the JVM started in the process (a task with a
JDBC URL): exit code 0, and the embedded redis-server is gone with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jobs.tasks.redis_server import free_port
from tests.conftest import load_workload
from tests.services import service_url

pytestmark = [pytest.mark.redis, pytest.mark.trino, pytest.mark.timeout(300)]


def _redis_children(parent: int) -> list[int]:
    """Pids of the redis-server processes ``parent`` started (Redis rewrites its command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, ppid = _comm_and_ppid(int(entry.name))
        except OSError:
            continue
        if ppid == parent and comm.startswith("redis-server"):
            found.append(int(entry.name))
    return found


def _comm_and_ppid(pid: int) -> tuple[str, int]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    return comm, int(stat[stat.rindex(")") + 2 :].split()[1])


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_after_a_jdbc_task_stops_serve_and_its_redis(tmp_path: Path) -> None:
    trino_url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "LLM_BASE_URL", "LLM_MODEL"}}
    env |= {"LAKEOPT_HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'tasks.db'}"}
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "lakeopt", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    redis_pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        redis_pids = _redis_children(serve.pid)
        assert redis_pids, "serve should have started an embedded redis-server"
        workload = load_workload("flights.json")
        workload["url"] = trino_url
        task_id = httpx.post(f"{base}/new", json=workload).json()["taskid"]
        deadline = time.monotonic() + 180
        status = "RUNNING"
        while status == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.5)
            status = httpx.get(f"{base}/status", params={"task_id": task_id}).json()["status"]
        assert status == "DONE"
        assert "JVM" in (tmp_path / "serve.log").read_text(errors="replace"), "the task should start the JVM"
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        deadline = time.monotonic() + 5
        while any(map(_alive, redis_pids)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, redis_pids)), "the embedded redis-server must stop with serve"
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        for pid in filter(_alive, redis_pids):
            os.kill(pid, signal.SIGKILL)
        log.close()
