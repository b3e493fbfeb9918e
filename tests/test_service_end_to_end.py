"""A task followed at once by a REST poller, a GraphQL reader and a websocket subscriber."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import load_workload
from tests.contract_rules import contract_problems
from tests.live_service import LiveService

pytestmark = pytest.mark.redis

TASK_QUERY = """
query($id: UUID!) { task(id: $id) { __typename ... on Task { status stage progress
  result { ddl { statement } migrations { statement } queries { queryid query } } } } }
"""
SUBSCRIPTION = """
subscription($id: UUID!) { taskStatus(id: $id) { __typename
  ... on TaskEvent { seq status stage progress message } ... on TaskNotFound { message } } }
"""


async def subscribe(ws_url: str, task_id: str, first: asyncio.Event | None = None) -> list[dict[str, Any]]:
    """Every event of a graphql-transport-ws subscription until the server completes it."""
    events: list[dict[str, Any]] = []
    async with websockets.connect(ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": task_id}}}
            )
        )
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if message["type"] == "complete":
                return events
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            events.append(message["payload"]["data"]["taskStatus"])
            if first is not None:
                first.set()


async def poll_rest(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    while True:
        status = (await client.get("/status", params={"task_id": task_id})).json()["status"]
        if status != "RUNNING":
            assert status == "DONE"
            response = await client.get("/getresult", params={"task_id": task_id})
            assert response.status_code == 200
            result: dict[str, Any] = response.json()
            return result
        await asyncio.sleep(0.02)


async def poll_graphql(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    while True:
        body = (await client.post("/graphql", json={"query": TASK_QUERY, "variables": {"id": task_id}})).json()
        task = body["data"]["task"]
        assert task["__typename"] == "Task"
        if task["status"] != "RUNNING":
            assert task["status"] == "DONE"
            result: dict[str, Any] = task["result"]
            return result
        await asyncio.sleep(0.02)


async def follow_with_three_clients(
    service: LiveService, workload: dict[str, Any]
) -> tuple[str, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """Submit with the worker stopped, attach all three clients, then start the worker."""
    service.stop_worker()
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
        try:
            response = await client.post("/new", json=workload)
            assert response.status_code == 200, response.text
            task_id = response.json()["taskid"]
            assert (await client.get("/status", params={"task_id": task_id})).json() == {"status": "RUNNING"}
            subscribed = asyncio.Event()
            followers = asyncio.gather(
                subscribe(service.ws_url, task_id, subscribed),
                poll_rest(client, task_id),
                poll_graphql(client, task_id),
            )
            await asyncio.wait_for(subscribed.wait(), timeout=30)
        finally:
            service.start_worker()
        events, rest_result, graphql_result = await followers
    return task_id, events, rest_result, graphql_result


async def test_three_kinds_of_client_follow_one_task(live_service: LiveService) -> None:
    workload = load_workload("tpcds.json")
    workload.pop("url")
    _, events, rest_result, graphql_result = await follow_with_three_clients(live_service, workload)

    assert rest_result == graphql_result
    assert contract_problems(workload, rest_result) == []
    assert [e["__typename"] for e in events] == ["TaskEvent"] * len(events)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "events arrive once each, in order"
    assert events[0]["stage"] == "queued"
    assert events[-1]["status"] == "DONE" and events[-1]["progress"] == 1.0
    assert all(e["status"] == "RUNNING" for e in events[:-1])
    # Every stage a task without a database goes through, in pipeline order.
    stages = [e["stage"] for e in events]
    assert list(dict.fromkeys(stages)) == ["queued", "starting", "parse", "optimize", "validate", "done"]
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)


async def test_graphql_submission_and_late_subscriber(live_service: LiveService) -> None:
    workload = load_workload("questsH.json")
    workload.pop("url")
    mutation = "mutation($i: TaskInput!) { submitTask(input: $i) { __typename ... on Task { id status stage } } }"
    async with httpx.AsyncClient(base_url=live_service.base_url) as client:
        body = (await client.post("/graphql", json={"query": mutation, "variables": {"i": workload}})).json()
        task = body["data"]["submitTask"]
        assert task["__typename"] == "Task" and task["status"] == "RUNNING" and task["stage"] == "queued"
        result = await poll_rest(client, task["id"])
    assert contract_problems(workload, result) == []
    # Subscribing after the end yields the final state once and completes.
    events = await subscribe(live_service.ws_url, task["id"])
    assert len(events) == 1 and events[0]["status"] == "DONE"


async def test_subscribing_to_an_unknown_task_is_a_typed_error(live_service: LiveService) -> None:
    events = await subscribe(live_service.ws_url, "00000000-0000-4000-8000-000000000000")
    assert events == [{"__typename": "TaskNotFound", "message": "no task with id 00000000-0000-4000-8000-000000000000"}]


@pytest.mark.parametrize("name", ["flights.json", "questsH.json", "tpcds.json"])
def test_each_shared_workload_yields_a_contract_valid_plan(live_service: LiveService, name: str) -> None:
    workload = load_workload(name)
    workload.pop("url")
    task_id = httpx.post(f"{live_service.base_url}/new", json=workload).json()["taskid"]
    assert live_service.wait_for_status(task_id, {"DONE", "FAILED"}) == "DONE"
    result = httpx.get(f"{live_service.base_url}/getresult", params={"taskid": task_id}).json()
    assert set(result) == {"ddl", "migrations", "queries"}
    assert contract_problems(workload, result) == []
