"""API tokens: open with none, required with one; REST, GraphQL over HTTP and the websocket's
connection_init; Basic for legacy pollers; a task is visible only to the token that created it.

The app runs in-process on a real Redis and a real SQLite store; tokens are made as
``lakeopt token create`` makes them (through the store).
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from gql_app.app import create_app
from jobs.settings import load_settings
from jobs.tasks.store import create_store_engine
from jobs.tasks.tokens import TokenStore, token_hash
from tests.conftest import load_workload

pytestmark = pytest.mark.redis

TASK = "query($id: UUID!) { task(id: $id) { __typename ... on Task { id status } ... on TaskNotFound { message } } }"
SUBSCRIBE = "subscription($id: UUID!) { taskStatus(id: $id) { __typename ... on TaskEvent { status } } }"


@dataclasses.dataclass
class Api:
    client: TestClient
    tokens: TokenStore

    def new(self, token: str | None) -> tuple[int, dict[str, object]]:
        workload = load_workload("questsH.json")
        workload.pop("url", None)
        response = self.client.post("/new", json=workload, headers=bearer(token))
        return response.status_code, response.json()

    def task(self, task_id: str, token: str | None) -> dict[str, object]:
        response = self.client.post(
            "/graphql", json={"query": TASK, "variables": {"id": task_id}}, headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        task: dict[str, object] = response.json()["data"]["task"]
        return task


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def start(tmp_path: Path, redis_url: str, *, required: bool = False) -> Iterator[Api]:
    database_url = f"sqlite:///{tmp_path / 'tasks.db'}"
    settings = dataclasses.replace(load_settings(), database_url=database_url, home=tmp_path, auth_required=required)
    engine = create_store_engine(database_url)
    try:
        with TestClient(create_app(settings, redis_url=redis_url)) as client:
            yield Api(client, TokenStore(engine))
    finally:
        engine.dispose()


@pytest.fixture
def api(tmp_path: Path, redis_url: str) -> Iterator[Api]:
    yield from start(tmp_path, redis_url)


def test_without_tokens_the_api_is_open_and_a_token_closes_it(api: Api) -> None:
    status, body = api.new(None)
    assert status == 200, body
    open_task = str(body["taskid"])

    _, alice = api.tokens.create("alice")
    refused = api.client.get("/status", params={"task_id": open_task})
    assert refused.status_code == 401
    assert "API token is required" in refused.json()["error"]
    assert refused.headers["www-authenticate"].startswith("Bearer")
    wrong = api.client.get("/status", params={"task_id": open_task}, headers=bearer("lko_not-a-real-token"))
    assert wrong.status_code == 401 and "not valid" in wrong.json()["error"]
    assert "lko_not-a-real-token" not in wrong.text
    graphql = api.client.post("/graphql", json={"query": TASK, "variables": {"id": open_task}})
    assert graphql.status_code == 401 and "API token is required" in graphql.json()["errors"][0]["message"]
    # Pages and ops routes hold no task data and stay public.
    for path in ("/", "/healthz", "/static/console/main.js", "/openapi.json"):
        assert api.client.get(path).status_code == 200, path
    # A task created while the API was open has no owner: no token sees it.
    assert api.client.get("/status", params={"task_id": open_task}, headers=bearer(alice)).status_code == 404


def test_the_graphiql_page_is_public_but_a_query_sent_by_get_is_not(api: Api) -> None:
    html = {"Accept": "text/html"}
    assert api.client.get("/graphql", headers=html).status_code == 200  # open API
    api.tokens.create("alice")
    page = api.client.get("/graphql", headers=html)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    query = "{ __typename }"
    for params in ({"query": query}, {"variables": "{}", "query": query}):
        assert api.client.get("/graphql", params=params).status_code == 401, params
    # Starlette decodes "%71uery" to "query": the check must see what the view will see.
    assert api.client.get("/graphql?%71uery=%7B__typename%7D").status_code == 401


def test_a_task_belongs_to_the_token_that_created_it(api: Api) -> None:
    _, alice = api.tokens.create("alice")
    _, bob = api.tokens.create("bob")
    status, body = api.new(alice)
    assert status == 200, body
    task_id = str(body["taskid"])

    assert api.client.get("/status", params={"task_id": task_id}, headers=bearer(alice)).json() == {"status": "RUNNING"}
    assert api.task(task_id, alice)["status"] == "RUNNING"
    # Bob gets exactly what an unknown id gets.
    for path in ("/status", "/getresult", "/report"):
        other = api.client.get(path, params={"task_id": task_id}, headers=bearer(bob))
        assert other.status_code == 404, (path, other.text)
        assert other.json() == {"error": f"no task with id {task_id}"}
    assert api.client.get(f"/tasks/{task_id}/pretty.json", headers=bearer(bob)).status_code == 404
    assert api.task(task_id, bob) == {"__typename": "TaskNotFound", "message": f"no task with id {task_id}"}

    # A legacy poller sends the token as the password of HTTP Basic.
    basic = base64.b64encode(f"poller:{alice}".encode()).decode()
    polled = api.client.get("/status", params={"task_id": task_id}, headers={"Authorization": f"Basic {basic}"})
    assert polled.json() == {"status": "RUNNING"}
    no_password = base64.b64encode(b"poller").decode()
    refused = api.client.get("/status", params={"task_id": task_id}, headers={"Authorization": f"Basic {no_password}"})
    assert refused.status_code == 401 and "password" in refused.json()["error"]

    # Revoked: refused at once, by every API node reading the same store.
    api.tokens.revoke("alice")
    assert api.client.get("/status", params={"task_id": task_id}, headers=bearer(alice)).status_code == 401


def test_graphql_submission_is_owned_too(api: Api) -> None:
    _, alice = api.tokens.create("alice")
    _, bob = api.tokens.create("bob")
    workload = load_workload("questsH.json")
    workload.pop("url", None)
    mutation = "mutation($i: TaskInput!) { submitTask(input: $i) { __typename ... on Task { id } } }"
    variables = {"i": {"ddl": workload["ddl"], "queries": workload["queries"]}}
    response = api.client.post("/graphql", json={"query": mutation, "variables": variables}, headers=bearer(bob))
    task_id = response.json()["data"]["submitTask"]["id"]
    assert api.task(task_id, bob)["status"] == "RUNNING"
    assert api.task(task_id, alice)["__typename"] == "TaskNotFound"
    assert api.client.get("/status", params={"task_id": task_id}, headers=bearer(alice)).status_code == 404


def _connect_and_subscribe(api: Api, payload: dict[str, object] | None, task_id: str) -> list[dict[str, object]]:
    """The messages up to the first subscription result (or the close code as {"closed": code})."""
    messages: list[dict[str, object]] = []
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        try:
            messages.append(ws.receive_json())
            ws.send_json(
                {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"id": task_id}}}
            )
            messages.append(ws.receive_json())
        except WebSocketDisconnect as exc:
            messages.append({"closed": exc.code})
    return messages


def test_the_websocket_needs_the_token_in_connection_init(api: Api) -> None:
    _, alice = api.tokens.create("alice")
    _, bob = api.tokens.create("bob")
    task_id = str(api.new(alice)[1]["taskid"])

    assert _connect_and_subscribe(api, None, task_id) == [{"closed": 4403}]
    assert _connect_and_subscribe(api, {"Authorization": "Bearer lko_wrong"}, task_id) == [{"closed": 4403}]
    ack, event = _connect_and_subscribe(api, {"Authorization": f"Bearer {alice}"}, task_id)
    assert ack == {"type": "connection_ack"}
    assert event["payload"] == {"data": {"taskStatus": {"__typename": "TaskEvent", "status": "RUNNING"}}}
    _, other = _connect_and_subscribe(api, {"Authorization": f"Bearer {bob}"}, task_id)
    assert other["payload"] == {"data": {"taskStatus": {"__typename": "TaskNotFound"}}}


def test_auth_required_refuses_everyone_while_no_token_exists(tmp_path: Path, redis_url: str) -> None:
    for api in start(tmp_path, redis_url, required=True):
        status, body = api.new(None)
        assert status == 401, body
        assert api.client.get("/healthz").status_code == 200
        assert _connect_and_subscribe(api, {}, str(uuid.uuid4())) == [{"closed": 4403}]


def test_the_store_keeps_only_a_hash(tmp_path: Path) -> None:
    database = tmp_path / "tasks.db"
    engine = create_store_engine(f"sqlite:///{database}")
    try:
        tokens = TokenStore(engine)
        _, token = tokens.create("ci")
        assert token.startswith("lko_") and len(token) > 40
        assert tokens.principal(token) is not None and tokens.principal(token + "x") is None
        assert [t.name for t in tokens.list()] == ["ci"]
    finally:
        engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("tasks.db"))
    secret_part = token.removeprefix("lko_").encode()
    assert secret_part not in stored
    assert token_hash(token).encode() in stored
