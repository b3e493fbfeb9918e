"""Bad input gets a 4xx naming what is wrong, and the server keeps serving."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.conftest import WORKLOADS, load_workload
from tests.live_service import LiveService

pytestmark = pytest.mark.redis

GOOD = {
    "ddl": [{"statement": "CREATE TABLE c.s.t (a integer, b varchar)"}],
    "queries": [{"queryid": "q1", "query": "SELECT a FROM c.s.t", "runquantity": 3, "executiontime": 1}],
}


def _post(service: LiveService, content: bytes | str) -> httpx.Response:
    return httpx.post(
        f"{service.base_url}/new", content=content, headers={"content-type": "application/json"}, timeout=30
    )


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 422, "not valid JSON at line 1"),
        (b"", 422, "empty body"),
        (b"[]", 422, "JSON object"),
        (json.dumps({"queries": GOOD["queries"]}), 422, "ddl"),
        (json.dumps({**GOOD, "ddl": []}), 422, "ddl"),
        (json.dumps({**GOOD, "queries": []}), 422, "queries"),
        (
            json.dumps({**GOOD, "queries": [{**GOOD["queries"][0], "runquantity": "many"}]}),
            422,
            "queries[0].runquantity",
        ),
        (
            json.dumps({**GOOD, "queries": [{**GOOD["queries"][0], "executiontime": -1}]}),
            422,
            "queries[0].executiontime",
        ),
        (json.dumps({**GOOD, "queries": [{"query": "SELECT 1"}]}), 422, "queries[0].queryid"),
        (json.dumps({**GOOD, "queries": GOOD["queries"] * 2}), 422, "duplicate queryid"),
        (json.dumps({**GOOD, "ddl": [{"statement": 42}]}), 422, "ddl[0].statement"),
        (json.dumps({**GOOD, "url": "http://example.com"}), 422, "url"),
        (json.dumps({**GOOD, "max_staleness": "soon"}), 422, "max_staleness"),
    ],
)
def test_invalid_workloads_get_422_naming_the_field(
    live_service: LiveService, body: bytes | str, status: int, needle: str
) -> None:
    response = _post(live_service, body)
    assert response.status_code == status, response.text
    assert needle in response.text


def test_unparsable_ddl_statement_is_named(live_service: LiveService) -> None:
    body = {**GOOD, "ddl": [GOOD["ddl"][0], {"statement": "CREATE TABLE c.s.u (a int,,, WITH"}]}
    response = _post(live_service, json.dumps(body))
    assert response.status_code == 422
    assert "ddl[1]" in response.text


def test_invalid_json_flights_file_is_refused(live_service: LiveService) -> None:
    raw = (WORKLOADS / "flights.organizer-original.invalid-json.txt").read_bytes()
    response = _post(live_service, raw)
    assert response.status_code == 422
    assert "not valid JSON at line" in response.json()["error"]


def test_ten_megabyte_body_is_refused_with_413(live_service: LiveService) -> None:
    query = {"queryid": "q", "query": "SELECT 1 /*" + "x" * (10 * 1024 * 1024) + "*/", "runquantity": 1}
    response = _post(live_service, json.dumps({**GOOD, "queries": [query]}))
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


@pytest.mark.parametrize("route", ["/status", "/getresult", "/report"])
def test_task_id_errors(live_service: LiveService, route: str) -> None:
    base = live_service.base_url + route
    assert httpx.get(base).status_code == 400
    bad = httpx.get(base, params={"task_id": "not-a-uuid"})
    assert bad.status_code == 400 and "not a UUID" in bad.json()["error"]
    unknown = httpx.get(base, params={"task_id": str(uuid.uuid4())})
    assert unknown.status_code == 404 and "no task" in unknown.json()["error"]


def test_all_three_task_id_spellings_are_accepted(live_service: LiveService) -> None:
    task_id = _post(live_service, json.dumps(GOOD)).json()["taskid"]
    for url in (f"/status?task_id={task_id}", f"/status?taskid={task_id}", f"/status?{task_id}"):
        response = httpx.get(live_service.base_url + url)
        assert response.status_code == 200, url
        assert response.json()["status"] in {"RUNNING", "DONE"}


def test_getresult_is_409_while_running_then_200(live_service: LiveService) -> None:
    """With the worker stopped the task is certainly RUNNING; the FAILED case is in test_app_in_process."""
    live_service.stop_worker()
    try:
        task_id = _post(live_service, json.dumps(GOOD)).json()["taskid"]
        first = httpx.get(f"{live_service.base_url}/getresult", params={"task_id": task_id})
        assert first.status_code == 409 and "still RUNNING" in first.json()["error"]
    finally:
        live_service.start_worker()
    live_service.wait_for_status(task_id, {"DONE"})
    assert httpx.get(f"{live_service.base_url}/getresult", params={"task_id": task_id}).status_code == 200


def test_graphql_submit_with_bad_input_is_a_typed_error(live_service: LiveService) -> None:
    mutation = """mutation($i: TaskInput!) { submitTask(input: $i) { __typename
      ... on InputError { message fields { field message } } } }"""
    variables = {"i": {**GOOD, "queries": [{**GOOD["queries"][0], "runquantity": -5}]}}
    body = httpx.post(f"{live_service.base_url}/graphql", json={"query": mutation, "variables": variables}).json()
    result = body["data"]["submitTask"]
    assert result["__typename"] == "InputError"
    assert result["fields"][0]["field"] == "queries[0].runquantity"


def test_graphql_bad_max_staleness_is_a_typed_error(live_service: LiveService) -> None:
    mutation = """mutation($i: TaskInput!) { submitTask(input: $i) { __typename
      ... on InputError { fields { field message } } } }"""
    variables = {"i": {**GOOD, "maxStaleness": "15 parsecs"}}
    body = httpx.post(f"{live_service.base_url}/graphql", json={"query": mutation, "variables": variables}).json()
    result = body["data"]["submitTask"]
    assert result["__typename"] == "InputError"
    assert [f["field"] for f in result["fields"]] == ["max_staleness"]


def test_graphql_unknown_and_malformed_ids(live_service: LiveService) -> None:
    query = "query($id: UUID!) { task(id: $id) { __typename ... on TaskNotFound { message } } }"
    unknown = str(uuid.uuid4())
    body = httpx.post(f"{live_service.base_url}/graphql", json={"query": query, "variables": {"id": unknown}}).json()
    assert body["data"]["task"] == {"__typename": "TaskNotFound", "message": f"no task with id {unknown}"}
    body = httpx.post(f"{live_service.base_url}/graphql", json={"query": query, "variables": {"id": "nope"}}).json()
    assert body["data"] is None and "UUID" in body["errors"][0]["message"]


def test_server_keeps_serving_after_bad_input(live_service: LiveService) -> None:
    for body in (b"\xff\xfe", b"{" * 5000, b"null"):
        assert 400 <= _post(live_service, body).status_code < 500
    assert httpx.get(f"{live_service.base_url}/healthz").json() == {"status": "ok"}
    workload = load_workload("flights.json")
    workload.pop("url")
    assert _post(live_service, json.dumps(workload)).status_code == 200


def test_openapi_document_describes_the_rest_routes(live_service: LiveService) -> None:
    document = httpx.get(f"{live_service.base_url}/openapi.json").json()
    assert {"/new", "/status", "/getresult", "/report"} <= set(document["paths"])
    assert "Workload" in document["components"]["schemas"]


def test_metrics_count_requests(live_service: LiveService) -> None:
    httpx.get(f"{live_service.base_url}/status", params={"task_id": "x"})
    text = httpx.get(f"{live_service.base_url}/metrics").text
    assert 'lakeopt_http_requests_total{method="GET",path="/status",status="400"}' in text
    submitted = [line for line in text.splitlines() if line.startswith("lakeopt_tasks_submitted_total ")]
    assert submitted and float(submitted[0].split()[1]) >= 1
