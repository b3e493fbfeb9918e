"""A task with a verifyUrl on the real Trino sandbox: the plan is run and measured there, and an
LLM rewrite is accepted only when Trino returns the same rows for it."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import load_workload
from tests.live_service import start_service
from tests.llm.openai_stub import Reply, proposal, scripted_openai
from tests.services import service_url

pytestmark = [pytest.mark.redis, pytest.mark.trino]

QUERY = """query($id: UUID!) { task(id: $id) { ... on Task { status error result { queries { queryid query } }
  report { warnings llm { accepted rejected { queryid note } }
    verification { x y z mismatches errors queries { queryid equal } } } } } }"""


def test_verified_task_accepts_only_equivalent_llm_rewrites(redis_url: str, tmp_path: Path) -> None:
    trino = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    flights = load_workload("flights.json")
    workload = {
        "url": trino,
        "verify_url": trino,
        "ddl": flights["ddl"],
        "queries": [
            {
                "queryid": "same",
                "query": "SELECT flightdate, origin, dest FROM flights.public.flights WHERE origin = 'ATL'",
                "runquantity": 100,
                "executiontime": 5,
            },
            {
                "queryid": "different",
                "query": "SELECT flightdate, dest FROM flights.public.flights WHERE dest = 'ATL'",
                "runquantity": 10,
                "executiontime": 5,
            },
        ],
    }
    table = "flights.public_opt.flights"
    equivalent = f"SELECT f.flightdate, f.origin, f.dest FROM {table} AS f WHERE f.origin = 'ATL'"
    wrong = f"SELECT f.flightdate, f.dest FROM {table} AS f WHERE f.dest = 'ATL' AND f.origin <> 'ATL' LIMIT 0"
    script = [proposal(equivalent), proposal(wrong), Reply(content="## Plan")]
    with scripted_openai(script) as llm:
        env = {"LLM_BASE_URL": llm.url, "LLM_API_KEY": "sk-x", "LLM_MODEL": "m"}
        with start_service(tmp_path, redis_url, python=sys.executable, extra_env=env) as service:
            task_id = httpx.post(f"{service.base_url}/new", json=workload).json()["taskid"]
            status = service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=600)
            body = httpx.post(f"{service.base_url}/graphql", json={"query": QUERY, "variables": {"id": task_id}})
            task = body.json()["data"]["task"]
    assert status == "DONE", task
    report = task["report"]
    assert report["llm"]["accepted"] == ["same"], report
    assert [r["queryid"] for r in report["llm"]["rejected"]] == ["different"]
    queries = {q["queryid"]: q["query"] for q in task["result"]["queries"]}
    assert queries["same"] == equivalent
    assert wrong not in queries["different"]
    verification = report["verification"]
    assert verification["errors"] == [] and verification["mismatches"] == []
    assert {q["queryid"]: q["equal"] for q in verification["queries"]} == {"same": True, "different": True}
    assert verification["x"] > 0 and verification["y"] > 0
