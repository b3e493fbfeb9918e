"""Production and staging on one machine: the CI sandbox plays production (questsH loaded by
.ci/services/30-trino.sh), a second sandbox of its own home and port plays staging. A 10% sample
goes from one to the other, and the engine's plan is verified on the copy.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.contract.workload import parse_workload_json
from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from jobs.sandbox.query_facts import collect_query_facts
from jobs.sql.statements import clean_statement
from tests.sandbox.conftest import shared_workloads_dir
from tests.services import service_url

pytestmark = [pytest.mark.trino, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lakeopt(*argv: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKEOPT_REQUIRE_SERVICES": "1"}
    return subprocess.run(
        [sys.executable, "-m", "lakeopt", *argv], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[list[str]]:
    """``lakeopt sandbox`` options of a second, independent sandbox, running for the test."""
    options = ["sandbox", "--home", str(tmp_path / "staging"), "--port", str(_free_port()), "--heap", "2G"]
    options += ["--catalogs", "quests"]
    up = _lakeopt(*options, "up", "--timeout", "400", timeout=450)
    assert up.returncode == 0, up.stderr[-2000:]
    try:
        yield options
    finally:
        _lakeopt(*options, "down", timeout=120)


def _rows(client: TrinoClient, sql: str) -> int:
    return len(client.execute(clean_statement(sql), timeout=120).rows)


@pytest.mark.timeout(1200)
def test_a_ten_percent_sample_of_production_verifies_with_zero_mismatches(staging: list[str], tmp_path: Path) -> None:
    production_url = service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox")
    workload_path = shared_workloads_dir() / "questsH.json"
    # At the CI scale every questsH table is small; a lower bound makes the links (10,000 rows) sampled.
    load = _lakeopt(
        *staging, "load", str(workload_path), "--from", production_url, "--sample", "10%", "--whole-below", "2000",
        timeout=900,
    )  # fmt: skip
    assert load.returncode == 0, load.stderr[-2000:]
    sampled = re.findall(r"^\s*(\S+): (\d+) rows.*from 10% sample by", load.stdout + load.stderr, re.MULTILINE)
    assert len(sampled) >= 5, load.stdout[-3000:]

    staging_url = f"jdbc:trino://127.0.0.1:{staging[staging.index('--port') + 1]}?user=lakeopt"
    production, copy = client_from_jdbc_url(production_url), client_from_jdbc_url(staging_url)
    for table, copied in sampled:
        share = int(copied) / int(str(production.scalar(f"SELECT count(*) FROM {table}")))
        assert 0.03 < share < 0.3, f"{table}: {copied} rows copied, {share:.0%} of production"
    workload = parse_workload_json(workload_path.read_bytes())
    # Joined sampled tables keep their matches: the share of one side's rows that find a partner
    # on the other is as in production (a sample not consistent by key would keep about a tenth).
    sampled_tables = {table for table, _ in sampled}
    joined = [sorted(p) for p in collect_query_facts([q.query for q in workload.queries]).join_pairs]
    pairs = [(a, b) for a, b in joined if a[0] != b[0] and {a[0], b[0]} <= sampled_tables]
    assert pairs
    for (left, left_key), (right, right_key) in pairs:
        matched = (
            f"SELECT avg(CASE WHEN {left_key} IN (SELECT {right_key} FROM {right}) THEN 1e0 ELSE 0e0 END) "
            f"FROM {left} WHERE {left_key} IS NOT NULL"
        )
        in_production, in_copy = production.scalar(matched), copy.scalar(matched)
        assert in_copy > 0.5 * in_production, f"{left}.{left_key} -> {right}.{right_key}: {in_copy} vs {in_production}"
    joins = [q for q in workload.queries if re.search(r"\bJOIN\b", q.query, re.IGNORECASE)]
    assert len(joins) >= 5
    # Every join query that finds rows in production finds rows in the sample.
    empty = [q.queryid for q in joins if _rows(production, q.query) and not _rows(copy, q.query)]
    assert empty == []

    plan, report = tmp_path / "plan.json", tmp_path / "verify.json"
    optimize = _lakeopt("optimize", str(workload_path), "--url", staging_url, "-o", str(plan), timeout=300)
    assert optimize.returncode == 0, optimize.stderr[-2000:]
    verify = _lakeopt(
        "verify", str(workload_path), str(plan), "--url", staging_url, "-o", str(report), "--repetitions", "1",
        timeout=900,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr[-3000:]
    verified = json.loads(report.read_text())
    statuses = {q["queryid"]: q["status"] for q in verified["queries"]}
    assert len(statuses) == len(workload.queries)
    assert [q for q, status in statuses.items() if status == "mismatch"] == []
    assert verified["errors"] == []
