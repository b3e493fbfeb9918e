"""The console's server side: its pages, its assets, and the plan laid out by sqlglot."""

from __future__ import annotations

import json

import httpx
import pytest

from gql_app.console_routes import pretty_plan
from gql_app.pretty_sql import pretty
from tests.conftest import load_workload
from tests.live_service import LiveService

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_pretty_lays_out_statements_and_keeps_comments() -> None:
    laid = pretty("select a /* why */, b from c.s.t where x = 1; select 2")
    assert laid.reformatted
    assert laid.text == "SELECT\n  a, /* why */\n  b\nFROM c.s.t\nWHERE\n  x = 1;\nSELECT\n  2"


@pytest.mark.parametrize(
    "sql",
    [
        "SELEC oops",  # sqlglot reads it as an alias: not a statement
        "SELECT FROM WHERE (",  # a parse error
        "",
        "   ",
    ],
)
def test_pretty_shows_what_it_cannot_read_as_it_came(sql: str) -> None:
    laid = pretty(sql)
    assert not laid.reformatted
    assert laid.text == sql.strip()


def test_pretty_keeps_dialect_slips_it_does_not_understand() -> None:
    # The contract's messy inputs: count() stays count(), not COUNT(*).
    assert pretty("select count() from c.s.t").text == "SELECT\n  COUNT()\nFROM c.s.t"


def test_pretty_plan_pairs_each_query_with_its_original() -> None:
    result = {
        "ddl": [{"statement": "create schema c.new"}],
        "migrations": [{"statement": "insert into c.new.t select * from c.s.t"}],
        "queries": [
            {"queryid": "q1", "query": "select a from c.new.t"},
            {"queryid": "gone", "query": "select 1"},
        ],
    }
    workload = {"ddl": [], "queries": [{"queryid": "q1", "query": "select a from c.s.t", "runquantity": 1}]}
    laid = pretty_plan(json.dumps(result), json.dumps(workload))
    assert laid["ddl"] == [{"text": "CREATE SCHEMA c.new", "reformatted": True}]
    assert laid["migrations"][0]["text"] == "INSERT INTO c.new.t\nSELECT\n  *\nFROM c.s.t"
    q1, gone = laid["queries"]
    assert q1["queryid"] == "q1"
    assert q1["original"] == {"text": "SELECT\n  a\nFROM c.s.t", "reformatted": True}
    assert q1["rewritten"] == {"text": "SELECT\n  a\nFROM c.new.t", "reformatted": True}
    assert gone["original"] is None


@pytest.mark.redis
def test_console_pages_are_one_shell_and_bad_ids_are_4xx(live_service: LiveService) -> None:
    base = live_service.base_url
    home = httpx.get(f"{base}/")
    task_page = httpx.get(f"{base}/tasks/{UNKNOWN}")
    bad_page = httpx.get(f"{base}/tasks/not-a-uuid")
    assert home.status_code == 200 and task_page.status_code == 200
    assert bad_page.status_code == 404  # the page still comes, and says what is wrong
    assert home.text == task_page.text == bad_page.text
    assert '<script type="module" src="/static/console/main.js"></script>' in home.text
    assert "default-src 'none'" in home.headers["content-security-policy"]
    assert httpx.post(f"{base}/").status_code == 405
    assert httpx.get(f"{base}/static/console/main.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{base}/static/console/nope.js").status_code == 404
    assert httpx.get(f"{base}/static/%2e%2e/console_routes.py").status_code == 404

    for path, status, error in [
        ("not-a-uuid", 400, "task id is not a UUID: 'not-a-uuid'"),
        (UNKNOWN, 404, f"no task with id {UNKNOWN}"),
    ]:
        response = httpx.get(f"{base}/tasks/{path}/pretty.json")
        assert (response.status_code, response.json()) == (status, {"error": error})


@pytest.mark.redis
def test_pretty_json_of_a_task_running_then_done(live_service: LiveService) -> None:
    workload = load_workload("flights.json")
    workload.pop("url")
    base = live_service.base_url
    live_service.stop_worker()
    try:
        task_id = httpx.post(f"{base}/new", json=workload).json()["taskid"]
        running = httpx.get(f"{base}/tasks/{task_id}/pretty.json")
        assert running.status_code == 409
        assert running.json() == {"error": "task is RUNNING: only a DONE task has a plan"}
    finally:
        live_service.start_worker()
    assert live_service.wait_for_status(task_id, {"DONE", "FAILED"}) == "DONE"
    result = httpx.get(f"{base}/getresult", params={"task_id": task_id}).json()

    laid = httpx.get(f"{base}/tasks/{task_id}/pretty.json", timeout=30).json()
    assert laid["taskid"] == task_id
    assert len(laid["ddl"]) == len(result["ddl"]) and len(laid["migrations"]) == len(result["migrations"])
    assert laid["ddl"][0] == {"text": result["ddl"][0]["statement"], "reformatted": True}  # CREATE SCHEMA c.s
    assert [q["queryid"] for q in laid["queries"]] == [q["queryid"] for q in result["queries"]]
    originals = {q["queryid"]: q["query"] for q in workload["queries"]}  # type: ignore[union-attr]
    for query in laid["queries"]:
        assert query["original"]["text"] == pretty(originals[query["queryid"]]).text
        assert query["rewritten"]["reformatted"]
        # Every flights query is one line in the workload; laid out, each clause has its line.
        assert "\nFROM " in query["rewritten"]["text"]
