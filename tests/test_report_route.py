"""``GET /report``: the report of a DONE task with its Markdown, the same ids and errors as /getresult,
and /getresult unchanged (the contract's exact shape)."""

from __future__ import annotations

import json
import uuid

import pytest

from jobs.contract.result import Estimate, Recommendation, TaskReport
from tests.test_app_in_process import App, app  # noqa: F401  (the fixture)

pytestmark = pytest.mark.redis

RESULT = {"ddl": [{"statement": "CREATE SCHEMA c.s_opt"}], "migrations": [], "queries": []}
CARD = Recommendation(
    rule="sort_order",
    tables=["c.s_opt.t"],
    queries=["q1"],
    rationale="filters on d",
    estimate=Estimate(rows=2e6, weight_share=0.5),
    summary="sort order: c.s_opt.t sorted by d",
)


def _done(service: App, report: TaskReport) -> str:
    task_id = service.submit()
    service.store_call("start_attempt", uuid.UUID(task_id))
    service.store_call(
        "complete", uuid.UUID(task_id), result_json=json.dumps(RESULT), report_json=report.model_dump_json()
    )
    return task_id


def test_report_of_a_done_task_has_its_cards_and_markdown(app: App) -> None:  # noqa: F811
    task_id = _done(app, TaskReport(recommendations=[CARD.summary], recommendation_details=[CARD]))
    for params in ({"task_id": task_id}, {"taskid": task_id}):
        response = app.client.get("/report", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["recommendation_details"][0]["estimate"]["weight_share"] == 0.5
        # Stored before the Markdown existed: rendered on the way out.
        assert "### 1. Sort order: `c.s_opt.t`" in body["markdown"]
    assert app.client.get(f"/report?{task_id}").status_code == 200
    assert app.client.get("/getresult", params={"task_id": task_id}).json() == RESULT


def test_report_keeps_a_stored_markdown_and_refuses_what_getresult_refuses(app: App) -> None:  # noqa: F811
    task_id = _done(app, TaskReport(markdown="# stored\n"))
    assert app.client.get("/report", params={"task_id": task_id}).json()["markdown"] == "# stored\n"
    running = app.submit()
    response = app.client.get("/report", params={"task_id": running})
    assert response.status_code == 409 and "still RUNNING" in response.json()["error"]
    assert app.client.get("/report").status_code == 400
    assert app.client.get("/report", params={"task_id": str(uuid.uuid4())}).status_code == 404


def test_graphql_serves_the_cards_typed(app: App) -> None:  # noqa: F811
    task_id = _done(app, TaskReport(recommendations=[CARD.summary], recommendation_details=[CARD], markdown="# m\n"))
    query = """query($id: UUID!) { task(id: $id) { ... on Task { report {
      recommendationDetails { rule tables queries rationale summary estimate { rows bytes rowsAfter weightShare } }
      markdown explanation } } } }"""
    body = app.client.post("/graphql", json={"query": query, "variables": {"id": task_id}}).json()
    report = body["data"]["task"]["report"]
    assert report["recommendationDetails"] == [
        {
            "rule": "sort_order",
            "tables": ["c.s_opt.t"],
            "queries": ["q1"],
            "rationale": "filters on d",
            "summary": "sort order: c.s_opt.t sorted by d",
            "estimate": {"rows": 2e6, "bytes": None, "rowsAfter": None, "weightShare": 0.5},
        }
    ]
    assert report["markdown"] == "# m\n" and report["explanation"] is None
