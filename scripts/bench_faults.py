"""Fault figures for the closing note: recovery after a Redis restart, a hard Redis kill and a
worker SIGKILL, and tasks lost (must be 0).

Runs a real API and worker (as processes) on a private redis-server it restarts on the same port:
    python scripts/bench_faults.py [--tasks 30] [--lease 30] [--sweep 10]
The lease and sweep default to the shipped settings (LAKEOPT_LEASE_SECONDS, LAKEOPT_SWEEP_INTERVAL).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.tasks.redis_server import free_port, running_redis
from tests.live_service import LiveService, start_service

WORKLOADS = Path(__file__).resolve().parents[2] / "shared" / "workloads"


def submit(service: LiveService, workload: dict[str, Any], count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = httpx.post(f"{service.base_url}/new", json=workload, timeout=30)
        response.raise_for_status()
        ids.append(response.json()["taskid"])
    return ids


def wait_all_done(service: LiveService, task_ids: list[str], timeout: float) -> tuple[float, int]:
    """Seconds until every task is DONE, and how many were not (lost or FAILED) by ``timeout``."""
    started = time.monotonic()
    pending = set(task_ids)
    failed = 0
    while pending and time.monotonic() - started < timeout:
        for task_id in list(pending):
            try:
                status = httpx.get(f"{service.base_url}/status", params={"task_id": task_id}).json()["status"]
            except httpx.HTTPError:
                continue
            if status != "RUNNING":
                pending.discard(task_id)
                failed += status != "DONE"
        time.sleep(0.2)
    return time.monotonic() - started, len(pending) + failed


def redis_pid(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def wait_ready(url: str, timeout: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def redis_fault(
    home: Path, workload: dict[str, Any], tasks: int, env: dict[str, str], sig: signal.Signals
) -> dict[str, float]:
    port, health_port = free_port(), free_port()
    with (
        running_redis(home / "redis", port=port) as url,
        start_service(home, url, python=sys.executable, extra_env=env) as service,
    ):
        service.kill_worker()
        service.start_worker("--health-port", str(health_port))
        readyz = f"http://127.0.0.1:{health_port}/readyz"
        wait_ready(readyz)
        task_ids = submit(service, workload, tasks)
        os.kill(redis_pid(url), sig)
        time.sleep(1)
        with running_redis(home / "redis-again", port=port):
            reconnect = wait_ready(readyz)
            all_done, lost = wait_all_done(service, task_ids, timeout=600)
    return {"worker_ready_again_s": round(reconnect, 2), "all_tasks_done_s": round(all_done, 2), "lost": lost}


def wait_some_task_running(service: LiveService, task_ids: list[str]) -> None:
    """Until a worker is inside a task (started, not finished), so the kill interrupts one."""
    query = "query($id: UUID!) { task(id: $id) { ... on Task { stage } } }"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for task_id in task_ids:
            body = httpx.post(f"{service.base_url}/graphql", json={"query": query, "variables": {"id": task_id}})
            if body.json()["data"]["task"]["stage"] not in {"queued", "done", "failed"}:
                return
    raise RuntimeError("no task started within 120 s")


def worker_kill(home: Path, workload: dict[str, Any], tasks: int, env: dict[str, str]) -> dict[str, float]:
    with (
        running_redis(home / "redis") as url,
        start_service(home, url, python=sys.executable, extra_env=env) as service,
    ):
        task_ids = submit(service, workload, tasks)
        wait_some_task_running(service, task_ids)
        service.kill_worker()
        killed = time.monotonic()
        service.start_worker()
        all_done, lost = wait_all_done(service, task_ids, timeout=600)
        handed_on = sum("queued again" in line for line in service.worker_log.read_text(errors="replace").splitlines())
    return {
        "all_tasks_done_after_kill_s": round(time.monotonic() - killed, 2),
        "tasks_handed_on": handed_on,
        "lost": lost,
        "wait_s": round(all_done, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--lease", type=float, default=30.0, help="LAKEOPT_LEASE_SECONDS")
    parser.add_argument("--sweep", type=float, default=10.0, help="LAKEOPT_SWEEP_INTERVAL")
    args = parser.parse_args()
    full = json.loads((WORKLOADS / "flights.json").read_text())
    full.pop("url", None)
    workload = {"ddl": full["ddl"], "queries": full["queries"][:3]}
    env = {"LAKEOPT_LEASE_SECONDS": str(args.lease), "LAKEOPT_SWEEP_INTERVAL": str(args.sweep)}
    figures: dict[str, Any] = {"settings": {"lease_s": args.lease, "sweep_s": args.sweep, "tasks": args.tasks}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        figures["redis_restart"] = redis_fault(root / "restart", workload, args.tasks, env, signal.SIGTERM)
        figures["redis_sigkill"] = redis_fault(root / "kill", workload, args.tasks, env, signal.SIGKILL)
        # Whole workloads, so the kill lands inside a task rather than between two.
        figures["worker_sigkill"] = worker_kill(root / "worker", full, args.tasks, env)
    figures["tasks_lost_total"] = sum(figures[k]["lost"] for k in ("redis_restart", "redis_sigkill", "worker_sigkill"))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
