"""The service with an LLM endpoint configured: explanation and proposals reach every client,
unverified proposals never reach ``queries``, and a dead endpoint never fails the task."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.live_service import start_service
from tests.llm.openai_stub import Reply, proposal, scripted_openai

pytestmark = pytest.mark.redis

WORKLOAD = {
    "ddl": [{"statement": "CREATE TABLE shop.sales.orders (id bigint, region varchar, amount double)"}],
    "queries": [
        {
            "queryid": "q1",
            "query": "SELECT id, amount FROM shop.sales.orders WHERE region = 'north'",
            "runquantity": 10,
            "executiontime": 3,
        }
    ],
}
REPORT = """query($id: UUID!) { task(id: $id) { ... on Task { status
  result { ddl { statement } queries { queryid query } }
  report { explanation warnings
    llm { calls promptTokens accepted suggestions { queryid sql } rejected { note } } } } } }"""
API_KEY = "sk-never-in-logs-1234"


def _report(base_url: str, task_id: str) -> dict[str, object]:
    body = httpx.post(f"{base_url}/graphql", json={"query": REPORT, "variables": {"id": task_id}}).json()
    task: dict[str, object] = body["data"]["task"]
    return task


def test_llm_suggestion_and_explanation_reach_graphql(redis_url: str, tmp_path: Path) -> None:
    with scripted_openai([]) as llm:
        env = {"LLM_BASE_URL": llm.url, "LLM_API_KEY": API_KEY, "LLM_MODEL": "test-model"}
        with start_service(tmp_path, redis_url, python=sys.executable, extra_env=env) as service:
            # The engine names the new schema; the proposal must read it to pass the static gate.
            first = httpx.post(f"{service.base_url}/new", json=WORKLOAD).json()["taskid"]
            service.wait_for_status(first, {"DONE"}, timeout=120)
            new_table = _report(service.base_url, first)["result"]["ddl"][1]["statement"].split()[2]  # type: ignore[index]
            sql = f"SELECT o.id, o.amount FROM {new_table} AS o WHERE o.region = 'north'"
            llm.script.extend([proposal(sql, "aliased"), Reply(content="## The plan\nCopies orders.")])

            task_id = httpx.post(f"{service.base_url}/new", json=WORKLOAD).json()["taskid"]
            assert service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=120) == "DONE"
            task = _report(service.base_url, task_id)
            report = task["report"]
            assert report["explanation"] == "## The plan\nCopies orders."  # type: ignore[index]
            llm_summary = report["llm"]  # type: ignore[index]
            assert llm_summary["suggestions"] == [{"queryid": "q1", "sql": sql}]
            assert llm_summary["accepted"] == [] and llm_summary["calls"] >= 2 and llm_summary["promptTokens"] > 0
            # Without a verification URL a suggestion is never placed in the plan.
            assert sql not in str(task["result"])
            assert all(r["body"]["temperature"] == 0 for r in [{"body": b} for b in llm.requests])
            assert API_KEY not in service.logs()


def test_dead_llm_endpoint_never_fails_the_task(redis_url: str, tmp_path: Path) -> None:
    with scripted_openai([], default=Reply(status=500, content="down")) as llm:
        env = {"LLM_BASE_URL": llm.url, "LLM_API_KEY": API_KEY, "LLM_MODEL": "test-model"}
        with start_service(tmp_path, redis_url, python=sys.executable, extra_env=env) as service:
            task_id = httpx.post(f"{service.base_url}/new", json=WORKLOAD).json()["taskid"]
            assert service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=180) == "DONE"
            report = _report(service.base_url, task_id)["report"]
            assert report["explanation"] is None  # type: ignore[index]
            assert any("LLM" in w or "llm" in w for w in report["warnings"])  # type: ignore[index]
            assert httpx.get(f"{service.base_url}/getresult", params={"task_id": task_id}).status_code == 200
