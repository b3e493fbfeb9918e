"""``lakeopt sandbox --engine postgres``: a private PostgreSQL (Debian's binaries) started in a
temporary home, filled by the generator, planned with hypopg what-if costs and verified."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _lakeopt(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeopt", *argv], capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "LAKEOPT_REQUIRE_SERVICES": "1"},
    )  # fmt: skip


@pytest.fixture
def postgres_sandbox() -> Iterator[tuple[list[str], int]]:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        if os.environ.get("LAKEOPT_REQUIRE_SERVICES"):
            pytest.fail("Debian's PostgreSQL server binaries are missing (apt-get install postgresql)")
        pytest.skip("no PostgreSQL server binaries")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    # As root the server runs as postgres, which cannot enter pytest's private temporary directories.
    parent = Path(tempfile.mkdtemp(prefix="lakeopt-pg-sandbox-", dir="/tmp"))
    parent.chmod(0o755)
    options = ["sandbox", "--engine", "postgres", "--home", str(parent / "pg"), "--port", str(port)]
    up = _lakeopt(*options, "up")
    try:
        assert up.returncode == 0, up.stderr
        yield options, port
    finally:
        _lakeopt(*options, "down")
        shutil.rmtree(parent, ignore_errors=True)


def test_the_postgres_sandbox_is_filled_planned_and_verified(
    postgres_sandbox: tuple[list[str], int], tmp_path: Path
) -> None:
    options, port = postgres_sandbox
    url = f"jdbc:postgresql://127.0.0.1:{port}/lakeopt?user=lakeopt"
    assert _lakeopt(*options, "status").returncode == 0
    workload = tmp_path / "shop.json"
    customers = "CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL, country text)"
    orders = "CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, status text, "
    workload.write_text(
        json.dumps(
            {
                "url": url,
                "ddl": [
                    {"statement": customers},
                    {"statement": orders + "amount numeric(10, 2), created_at timestamp, note text)"},
                ],
                "queries": [
                    {"queryid": "q0", "query": "SELECT count(*), sum(amount) FROM shop.orders WHERE customer_id = 42"},
                    {
                        "queryid": "q1",
                        "query": "SELECT c.country, count(*) FROM shop.orders o JOIN shop.customers c "
                        "ON c.id = o.customer_id WHERE o.status = 'open' GROUP BY c.country ORDER BY c.country",
                    },
                    {
                        "queryid": "q2",
                        "query": "SELECT id, amount FROM shop.orders WHERE created_at >= timestamp '2024-03-01' "
                        "AND created_at < timestamp '2024-03-02' ORDER BY id",
                    },
                ],
            }
        )
    )
    for _ in range(2):  # loading is idempotent: the tables are dropped and made again
        load = _lakeopt(*options, "load", str(workload), "--scale", "0.05")
        assert load.returncode == 0, load.stderr
    assert "shop.customers: 5000 rows" in load.stdout and "shop.orders: 50000 rows" in load.stdout, load.stdout
    plan, report = tmp_path / "plan.json", tmp_path / "verify.json"
    optimize = _lakeopt("optimize", str(workload), "-o", str(plan))
    assert optimize.returncode == 0, optimize.stderr
    assert "hypopg" not in optimize.stderr  # the sandbox has the extension: what-if costs, no warning
    assert any(s["statement"].startswith("CREATE INDEX") for s in json.loads(plan.read_text())["ddl"])
    verify = _lakeopt("verify", str(workload), str(plan), "-o", str(report), "--repetitions", "1")
    assert verify.returncode == 0, verify.stderr
    statuses = {q["queryid"]: q["status"] for q in json.loads(report.read_text())["queries"]}
    assert statuses == {"q0": "equal", "q1": "equal", "q2": "equal"}
    # Every join finds its partner and the filter literal has rows: the generator's shape on PostgreSQL.
    rows = [line for line in verify.stdout.splitlines() if line.startswith("q1 ")]
    assert rows and "equal" in rows[0]
