"""The ASGI app in-process (Starlette's TestClient runs its lifespan): REST and GraphQL routes on a
real Redis and a real SQLite store, with no worker, so every task state can be set exactly."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gql_app.app import create_app
from jobs.settings import load_settings
from jobs.tasks.store import TaskStore
from tests.conftest import load_workload

pytestmark = pytest.mark.redis

TASK = "query($id: UUID!) { task(id: $id) { __typename ... on Task { status stage error } } }"


@dataclasses.dataclass
class App:
    client: TestClient
    database_url: str

    def store_call(self, method: str, *args: object, **kwargs: object) -> object:
        """Change a task in the store as the worker would (there is no worker here)."""

        async def call() -> object:
            store = TaskStore.from_url(self.database_url)
            try:
                return await getattr(store, method)(*args, **kwargs)
            finally:
                store.close()

        return asyncio.run(call())

    def submit(self) -> str:
        workload = load_workload("flights.json")
        workload.pop("url")
        response = self.client.post("/new", json=workload)
        assert response.status_code == 200, response.text
        task_id: str = response.json()["taskid"]
        return task_id


@pytest.fixture
def app(tmp_path: Path, redis_url: str) -> Iterator[App]:
    database_url = f"sqlite:///{tmp_path / 'tasks.db'}"
    settings = dataclasses.replace(load_settings(), database_url=database_url, home=tmp_path)
    with TestClient(create_app(settings, redis_url=redis_url)) as client:
        yield App(client, database_url)


def test_a_failed_task_is_failed_on_every_route(app: App) -> None:
    task_id = app.submit()
    assert app.client.get("/status", params={"task_id": task_id}).json() == {"status": "RUNNING"}
    running = app.client.get("/getresult", params={"task_id": task_id})
    assert running.status_code == 409 and "still RUNNING" in running.json()["error"]

    app.store_call("start_attempt", uuid.UUID(task_id))
    app.store_call("fail", uuid.UUID(task_id), "time limit exceeded during stage 'optimize'")

    assert app.client.get("/status", params={"task_id": task_id}).json() == {"status": "FAILED"}
    failed = app.client.get("/getresult", params={"task_id": task_id})
    assert failed.status_code == 409
    assert failed.json()["error"] == "task FAILED: time limit exceeded during stage 'optimize'"
    body = app.client.post("/graphql", json={"query": TASK, "variables": {"id": task_id}}).json()
    assert body["data"]["task"] == {
        "__typename": "Task",
        "status": "FAILED",
        "stage": "failed",
        "error": "time limit exceeded during stage 'optimize'",
    }


def test_a_done_task_returns_exactly_the_stored_result(app: App) -> None:
    task_id = app.submit()
    result = {"ddl": [{"statement": "CREATE SCHEMA c.s_opt"}], "migrations": [], "queries": []}
    app.store_call("start_attempt", uuid.UUID(task_id))
    app.store_call("complete", uuid.UUID(task_id), result_json=json.dumps(result), report_json="{}")
    response = app.client.get("/getresult", params={"task_id": task_id})
    assert response.status_code == 200 and response.json() == result


def test_rest_errors_have_their_status_codes(app: App) -> None:
    assert app.client.get("/status").status_code == 400
    assert app.client.get("/status", params={"task_id": "not-a-uuid"}).status_code == 400
    assert app.client.get("/status", params={"task_id": str(uuid.uuid4())}).status_code == 404
    invalid = app.client.post("/new", json={"ddl": [], "queries": [{"queryid": "q", "query": "SELECT 1"}]})
    assert invalid.status_code == 422 and invalid.json()["fields"]
    assert app.client.post("/new", content=b"x" * (8 * 1024 * 1024 + 1)).status_code == 413


def test_graphql_submit_and_read_back(app: App) -> None:
    mutation = "mutation($i: TaskInput!) { submitTask(input: $i) { __typename ... on Task { id status stage } } }"
    workload = load_workload("flights.json")
    workload.pop("url")
    body = app.client.post("/graphql", json={"query": mutation, "variables": {"i": workload}}).json()
    task = body["data"]["submitTask"]
    assert task["__typename"] == "Task" and task["status"] == "RUNNING" and task["stage"] == "queued"
    read = app.client.post("/graphql", json={"query": TASK, "variables": {"id": task["id"]}}).json()
    assert read["data"]["task"]["status"] == "RUNNING"
    missing = str(uuid.uuid4())
    gone = app.client.post("/graphql", json={"query": TASK, "variables": {"id": missing}}).json()
    assert gone["data"]["task"] == {"__typename": "TaskNotFound"}
