"""The JDBC password never leaks, and a killed worker does not leave a task RUNNING forever."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import load_workload
from tests.live_service import LiveService, start_service

pytestmark = pytest.mark.redis

PASSWORD = "s3(cr)et%41Zq"


@contextlib.contextmanager
def silent_database() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a hung database."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def _every_file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_password_appears_nowhere(live_service: LiveService) -> None:
    workload = load_workload("flights.json")
    # A port nobody listens on: the profile stage fails fast with a warning.
    workload["url"] = f"jdbc:trino://127.0.0.1:9?user=alice&password={PASSWORD}"
    response = httpx.post(f"{live_service.base_url}/new", json=workload)
    assert response.status_code == 200
    task_id = response.json()["taskid"]
    assert live_service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=120) == "DONE"

    query = """query($id: UUID!) { task(id: $id) { ... on Task { url message error profile
      report { warnings recommendations explanation } result { queries { query } } } } }"""
    bodies = [
        response.text,
        httpx.get(f"{live_service.base_url}/status", params={"task_id": task_id}).text,
        httpx.get(f"{live_service.base_url}/getresult", params={"task_id": task_id}).text,
        httpx.post(f"{live_service.base_url}/graphql", json={"query": query, "variables": {"id": task_id}}).text,
    ]
    task = httpx.post(f"{live_service.base_url}/graphql", json={"query": query, "variables": {"id": task_id}}).json()[
        "data"
    ]["task"]
    assert task["url"] is not None and "alice" in task["url"]
    assert any(
        "127.0.0.1:9" in w or "unreachable" in w.lower() or "connect" in w.lower() for w in task["report"]["warnings"]
    ), task["report"]["warnings"]
    for fragment in (PASSWORD, "s3(cr)et"):
        for body in bodies:
            assert fragment not in body
        assert fragment.encode() not in _every_file_bytes(live_service.database_path)
        assert fragment not in live_service.logs()


def test_killed_worker_does_not_leave_task_running(redis_url: str, tmp_path: Path) -> None:
    with (
        silent_database() as port,
        start_service(
            tmp_path,
            redis_url,
            python=sys.executable,
            extra_env={"LAKEOPT_TASK_TIME_LIMIT": "8", "LAKEOPT_JDBC_TIMEOUT": "60"},
        ) as service,
    ):
        workload = load_workload("flights.json")
        workload["url"] = f"jdbc:postgresql://127.0.0.1:{port}/db?user=u&password=p"
        task_id = httpx.post(f"{service.base_url}/new", json=workload).json()["taskid"]
        query = "query($id: UUID!) { task(id: $id) { ... on Task { status stage } } }"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            task = httpx.post(
                f"{service.base_url}/graphql", json={"query": query, "variables": {"id": task_id}}
            ).json()["data"]["task"]
            if task["stage"] == "profile":
                break
            time.sleep(0.05)
        assert task == {"status": "RUNNING", "stage": "profile"}, "the task should hang on the silent database"
        service.kill_worker()
        started = time.monotonic()
        status = service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=30)
        assert status == "FAILED"
        assert time.monotonic() - started < 20
        error = httpx.post(
            f"{service.base_url}/graphql",
            json={
                "query": "query($id: UUID!) { task(id: $id) { ... on Task { error } } }",
                "variables": {"id": task_id},
            },
        ).json()["data"]["task"]["error"]
        assert "time limit" in error
