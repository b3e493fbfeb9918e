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


async def subscribe(ws_url: str, task_id: str) -> list[dict[str, Any]]:
    """Every event of a graphql-transport-ws subscription until the server completes it."""
    events = []
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


async def test_three_kinds_of_client_follow_one_task(live_service: LiveService) -> None:
    workload = load_workload("tpcds.json")
    async with httpx.AsyncClient(base_url=live_service.base_url, timeout=30) as client:
        # The subscriber connects first so it sees the task from its first event on.
        response = await client.post("/new", json=workload)
        assert response.status_code == 200, response.text
        task_id = response.json()["taskid"]
        events, rest_result, graphql_result = await asyncio.gather(
            subscribe(live_service.ws_url, task_id), poll_rest(client, task_id), poll_graphql(client, task_id)
        )

    assert rest_result == graphql_result
    assert contract_problems(workload, rest_result) == []
    assert [e["__typename"] for e in events] == ["TaskEvent"] * len(events)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "events arrive once each, in order"
    assert events[-1]["status"] == "DONE" and events[-1]["progress"] == 1.0
    assert all(e["status"] == "RUNNING" for e in events[:-1])


async def test_subscriber_sees_every_stage_in_order(live_service: LiveService) -> None:
    workload = load_workload("flights.json")
    workload.pop("url")  # no database: the profile stage is skipped
    async with websockets.connect(
        live_service.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        # Submit through GraphQL on the same socket's server, then subscribe: the first event
        # is the stored state, later ones come from the worker.
        async with httpx.AsyncClient(base_url=live_service.base_url) as client:
            mutation = "mutation($i: TaskInput!) { submitTask(input: $i) { __typename ... on Task { id } } }"
            body = (await client.post("/graphql", json={"query": mutation, "variables": {"i": workload}})).json()
        task = body["data"]["submitTask"]
        assert task["__typename"] == "Task"
        events = await subscribe(live_service.ws_url, task["id"])
    stages = [e["stage"] for e in events]
    order = ["queued", "starting", "parse", "optimize", "validate", "done"]
    seen = [s for s in order if s in stages]
    assert seen[-1] == "done"
    assert [s for s in stages if s in order] == sorted((s for s in stages if s in order), key=order.index)
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)


async def test_subscribing_to_a_finished_task_yields_its_state_and_completes(live_service: LiveService) -> None:
    workload = load_workload("questsH.json")
    async with httpx.AsyncClient(base_url=live_service.base_url) as client:
        task_id = (await client.post("/new", json=workload)).json()["taskid"]
        await poll_rest(client, task_id)
    events = await subscribe(live_service.ws_url, task_id)
    assert len(events) == 1 and events[0]["status"] == "DONE"


async def test_subscribing_to_an_unknown_task_is_a_typed_error(live_service: LiveService) -> None:
    events = await subscribe(live_service.ws_url, "00000000-0000-4000-8000-000000000000")
    assert events == [{"__typename": "TaskNotFound", "message": "no task with id 00000000-0000-4000-8000-000000000000"}]


@pytest.mark.parametrize("name", ["flights.json", "questsH.json", "tpcds.json"])
def test_each_shared_workload_yields_a_contract_valid_plan(live_service: LiveService, name: str) -> None:
    workload = load_workload(name)
    task_id = httpx.post(f"{live_service.base_url}/new", json=workload).json()["taskid"]
    assert live_service.wait_for_status(task_id, {"DONE", "FAILED"}) == "DONE"
    result = httpx.get(f"{live_service.base_url}/getresult", params={"taskid": task_id}).json()
    assert set(result) == {"ddl", "migrations", "queries"}
    assert contract_problems(workload, result) == []
