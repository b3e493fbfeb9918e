"""The ``lakeopt`` command as a newcomer runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from jobs.tasks.redis_server import free_port
from tests.conftest import WORKLOADS, load_workload
from tests.contract_rules import contract_problems
from tests.services import service_url


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeopt", *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_optimize_writes_a_contract_valid_result(tmp_path: Path) -> None:
    workload = load_workload("questsH.json")
    workload.pop("url")
    source = tmp_path / "workload.json"
    source.write_text(json.dumps(workload))
    out = tmp_path / "result.json"
    done = _run("optimize", str(source), "-o", str(out), "--report-json", str(tmp_path / "report.json"))
    assert done.returncode == 0, done.stderr
    assert "optimize:" in done.stderr and "validate:" in done.stderr
    assert contract_problems(workload, json.loads(out.read_text())) == []
    report = json.loads((tmp_path / "report.json").read_text())
    assert any("no JDBC URL" in w for w in report["warnings"])


def test_optimize_with_a_database_profiles_it_and_exits(tmp_path: Path) -> None:
    url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    out = tmp_path / "result.json"
    done = _run("optimize", str(WORKLOADS / "questsH.json"), "--url", url, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "profile: profiled 45 tables" in done.stderr
    assert "cannot connect" not in done.stderr
    assert contract_problems(load_workload("questsH.json"), json.loads(out.read_text())) == []


def test_optimize_names_the_problem_in_bad_files(tmp_path: Path) -> None:
    done = _run("optimize", str(WORKLOADS / "flights.organizer-original.invalid-json.txt"))
    assert done.returncode == 2
    assert "invalid JSON at line" in done.stderr and "Traceback" not in done.stderr
    missing = _run("optimize", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until(condition: Callable[[], bool], seconds: float, log: Path) -> None:
    """Poll ``condition`` (sleeping between tries); fail with the server's log when time runs out."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


@pytest.mark.redis
def test_serve_runs_api_and_worker_with_an_embedded_redis(tmp_path: Path) -> None:
    """The README's first command: no REDIS_URL, no LLM, nothing else installed."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "LLM_BASE_URL"}}
    env["LAKEOPT_HOME"] = str(tmp_path)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "lakeopt", "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until(lambda: _ready(base), 60, log)
        workload = load_workload("flights.json")
        workload.pop("url")
        task_id = httpx.post(f"{base}/new", json=workload).json()["taskid"]
        _wait_until(
            lambda: httpx.get(f"{base}/status", params={"task_id": task_id}).json()["status"] != "RUNNING", 60, log
        )
        result = httpx.get(f"{base}/getresult", params={"task_id": task_id}).json()
        assert contract_problems(workload, result) == []
        assert "embedded Redis" in log.read_text()
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0, log.read_text()[-2000:]
