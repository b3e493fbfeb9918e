"""Two API processes and two workers on one Redis and a PostgreSQL task store: 100 tasks, one
worker SIGKILLed midway, and every task ends DONE exactly once."""

from __future__ import annotations

import asyncio
import collections
import json
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine

from jobs.tasks.redis_server import running_redis
from jobs.tasks.store import Base, TaskStatus, TaskStore
from tests.conftest import load_workload
from tests.live_service import LiveService, start_service
from tests.services import service_url
from tests.test_worker_faults import FAST_FAULTS

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(240)]

TASKS = 100


def _fresh_store(url: str) -> None:
    """The test's own database, emptied: tables created once here, before four processes start."""
    engine = create_engine(url)
    try:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


class DoneEvents:
    """Counts the DONE events each task publishes (one per successful completion)."""

    def __init__(self, redis_url: str) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._pubsub = redis.Redis.from_url(redis_url).pubsub()
        self._pubsub.psubscribe("lakeopt:task:*")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message and message["type"] == "pmessage":
                event = json.loads(message["data"])
                if event["status"] == "DONE":
                    self.counts[event["task_id"]] += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._pubsub.close()


def _kill_with_a_task_in_flight(node: LiveService, store: TaskStore, task_ids: list[str]) -> None:
    """SIGKILL ``node``'s worker while it holds a task (the only worker running, so a leased task is
    its): frozen with SIGSTOP first, so the task cannot finish between the look and the kill."""
    worker = node.processes["worker"]

    def leased() -> list[uuid.UUID]:
        records = [asyncio.run(store.get(uuid.UUID(t))) for t in task_ids]
        return [r.id for r in records if r is not None and not r.finished and r.lease_until is not None]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if leased():
            worker.send_signal(signal.SIGSTOP)
            if leased():
                node.kill_worker()
                return
            worker.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("node A's worker never held a task")


def test_two_apis_two_workers_one_killed_every_task_done_once(tmp_path: Path) -> None:
    store_url = service_url("LAKEOPT_TEST_STORE_URL", "a PostgreSQL database for the task store")
    _fresh_store(store_url)
    full = load_workload("flights.json")
    workload = {"ddl": full["ddl"], "queries": full["queries"][:3]}  # type: ignore[index]
    env = {**FAST_FAULTS, "DATABASE_URL": store_url}
    with (
        running_redis(tmp_path / "redis") as redis_url,
        start_service(tmp_path / "a", redis_url, python=sys.executable, extra_env=env) as node_a,
        start_service(tmp_path / "b", redis_url, python=sys.executable, extra_env=env) as node_b,
    ):
        events = DoneEvents(redis_url)
        store = TaskStore.from_url(store_url)
        try:
            task_ids = []
            node_b.stop_worker()  # back after the kill: until then a task in flight is node A's
            for index in range(TASKS):
                node = node_a if index % 2 == 0 else node_b
                response = httpx.post(f"{node.base_url}/new", json=workload, timeout=30)
                assert response.status_code == 200, response.text
                task_ids.append(response.json()["taskid"])
                if index == TASKS // 2:
                    # SIGKILL, with a job in flight and half the tasks still to come.
                    _kill_with_a_task_in_flight(node_a, store, task_ids)
                    node_b.start_worker()
            deadline = time.monotonic() + 150
            records = []
            while time.monotonic() < deadline:
                records = [asyncio.run(store.get(uuid.UUID(t))) for t in task_ids]
                if all(r is not None and r.finished for r in records):
                    break
                time.sleep(0.5)
            time.sleep(1)  # the last events in flight
        finally:
            store.close()
            events.close()
    assert all(r is not None for r in records)
    statuses = collections.Counter(r.status for r in records if r is not None)
    assert statuses == {TaskStatus.DONE: TASKS}, statuses
    assert all(r.result_json for r in records if r is not None)
    assert {t: events.counts[t] for t in task_ids} == dict.fromkeys(task_ids, 1), "each task completes exactly once"
    handed_on = [r for r in records if r is not None and r.lost_attempts > 0]
    assert handed_on, "the kill should have caught tasks in flight, and they were handed on"
    assert all(r.attempts == r.lost_attempts + 1 for r in handed_on)
