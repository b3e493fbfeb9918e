"""Faults: nothing lost, nothing stuck. Real processes on a private redis-server each test can
stop, kill and start again on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from jobs.tasks.redis_server import free_port, running_redis
from jobs.tasks.store import TaskRecord, TaskStore
from tests.conftest import load_workload
from tests.live_service import LiveService, start_service
from tests.test_secrets_and_worker_death import silent_database

pytestmark = pytest.mark.redis

#: Short intervals so a lapsed lease or a lost job is noticed in seconds, not a minute.
FAST_FAULTS = {"LAKEOPT_LEASE_SECONDS": "3", "LAKEOPT_SWEEP_INTERVAL": "1", "LAKEOPT_REDIS_RECONNECT_MAX": "1"}


def _wait(predicate: object, timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; returns the seconds it took."""
    assert callable(predicate)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(httpx.HTTPError):
            if predicate():
                return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _record(service: LiveService, task_id: str) -> TaskRecord:
    store = TaskStore.from_url(service.env["DATABASE_URL"])
    try:
        record = asyncio.run(store.get(uuid.UUID(task_id)))
    finally:
        store.close()
    assert record is not None
    return record


def _submit(service: LiveService, workload: dict[str, object]) -> str:
    response = httpx.post(f"{service.base_url}/new", json=workload, timeout=30)
    assert response.status_code == 200, response.text
    task_id: str = response.json()["taskid"]
    return task_id


def _status(service: LiveService, task_id: str) -> str:
    status: str = httpx.get(f"{service.base_url}/status", params={"task_id": task_id}).json()["status"]
    return status


def _stage(service: LiveService, task_id: str) -> str:
    query = "query($id: UUID!) { task(id: $id) { ... on Task { stage } } }"
    body = httpx.post(f"{service.base_url}/graphql", json={"query": query, "variables": {"id": task_id}}).json()
    stage: str = body["data"]["task"]["stage"]
    return stage


@contextlib.contextmanager
def hanging_task(service: LiveService) -> Iterator[str]:
    """A task whose worker hangs in the profile stage on a database that never answers; the
    database goes away (connections refused) when the context ends."""
    with silent_database() as port:
        workload = load_workload("flights.json")
        workload["url"] = f"jdbc:postgresql://127.0.0.1:{port}/db?user=u&password=p"
        task_id = _submit(service, workload)
        _wait(lambda: _stage(service, task_id) == "profile", 60, "the task should hang in the profile stage")
        yield task_id


def test_killed_worker_task_goes_to_another_worker(redis_url: str, tmp_path: Path) -> None:
    with start_service(tmp_path, redis_url, python=sys.executable, extra_env=FAST_FAULTS) as service:
        with hanging_task(service) as task_id:
            service.kill_worker()
        killed = time.monotonic()
        service.start_worker()
        assert service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=60) == "DONE"
        assert time.monotonic() - killed < 30, "a lapsed lease is handed on within a few lease lengths"
        record = _record(service, task_id)
        assert (record.attempts, record.lost_attempts) == (2, 1)


def test_task_lost_too_often_fails_with_the_reason(redis_url: str, tmp_path: Path) -> None:
    env = {**FAST_FAULTS, "LAKEOPT_TASK_MAX_ATTEMPTS": "1"}
    with start_service(tmp_path, redis_url, python=sys.executable, extra_env=env) as service:
        with hanging_task(service) as task_id:
            service.kill_worker()
            service.start_worker()
            assert service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=30) == "FAILED"
        record = _record(service, task_id)
        assert record.error is not None and "stopped responding 1 times" in record.error
        assert "profile" in record.error and record.attempts == 1


def _redis_pid(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def test_worker_reconnects_after_redis_restart(tmp_path: Path) -> None:
    port = free_port()
    health_port = free_port()
    with running_redis(tmp_path / "redis", port=port) as url:
        service_context = start_service(tmp_path / "svc", url, python=sys.executable, extra_env=FAST_FAULTS)
        with service_context as service:
            service.kill_worker()
            worker = service.start_worker("--health-port", str(health_port))
            readyz = f"http://127.0.0.1:{health_port}/readyz"
            _wait(lambda: httpx.get(readyz).status_code == 200, 30, "the worker should report ready")
            os.kill(_redis_pid(url), signal.SIGTERM)
            _wait(lambda: httpx.get(readyz).status_code == 503, 15, "the worker should report not ready")
            time.sleep(2)  # a few reconnect attempts, with backoff, find nothing
            assert worker.poll() is None, "the worker must not exit while Redis is down"
            assert httpx.get(readyz).json()["checks"]["worker"].startswith(("Redis unreachable", "lost Redis"))
            with running_redis(tmp_path / "redis2", port=port):
                recovered = _wait(lambda: httpx.get(readyz).status_code == 200, 15, "ready again")
                task_id = _submit(service, load_workload("flights.json"))
                assert service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=60) == "DONE"
    assert recovered < 5


def test_redis_killed_hard_loses_no_accepted_task(tmp_path: Path) -> None:
    port = free_port()
    with (
        running_redis(tmp_path / "redis", port=port) as url,
        start_service(tmp_path / "svc", url, python=sys.executable, extra_env=FAST_FAULTS) as service,
    ):
        workload = load_workload("flights.json")
        task_ids = [_submit(service, workload) for _ in range(30)]
        os.kill(_redis_pid(url), signal.SIGKILL)
        assert any(_status(service, t) == "RUNNING" for t in task_ids), "the kill must catch queued tasks"
        with running_redis(tmp_path / "redis2", port=port):
            for task_id in task_ids:
                assert service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=90) == "DONE"
