"""The examples in ``examples/``: regenerating them gives the same files (planned without a
database), and the SQL script runs as is on the Trino sandbox, statement by statement as the
Trino CLI splits it, with the rewritten queries returning the originals' rows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from jobs.contract.workload import parse_workload
from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from jobs.engine import optimize
from jobs.engine.plan_script import plan_script
from jobs.verify.views import drop_object
from tests.services import service_url

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FILES = ("plan.json", "plan.sql", "report.md", "report.json")
#: Rows of the example's tables on the sandbox: customers, then orders and their items.
ROWS = {
    "customers": "SELECT x, 'customer ' || CAST(x AS varchar), ELEMENT_AT(ARRAY['DE', 'FR', 'US'], 1 + x % 3), "
    "DATE '2024-06-01' + x * INTERVAL '1' DAY FROM UNNEST(SEQUENCE(4200, 4230)) AS t(x)",
    "orders": "SELECT x, 4200 + x % 31, DATE '2024-12-20' + (x % 40) * INTERVAL '1' DAY, "
    "ELEMENT_AT(ARRAY['shipped', 'open', 'cancelled'], 1 + x % 3), CAST(x * 1.25 AS decimal(12, 2)) "
    "FROM UNNEST(SEQUENCE(1, 400)) AS t(x)",
    "order_items": "SELECT 1 + x % 400, x % 17, 1 + x % 4, CAST(2.5 + x % 9 AS decimal(10, 2)) "
    "FROM UNNEST(SEQUENCE(1, 1200)) AS t(x)",
}


def test_regenerating_the_examples_gives_the_same_files(tmp_path: Path) -> None:
    out = {name: tmp_path / name for name in FILES}
    done = subprocess.run(
        [sys.executable, "-m", "lakeopt", "optimize", str(EXAMPLES / "workload.json"), "-o", str(out["plan.json"]),
         "--sql", str(out["plan.sql"]), "--report", str(out["report.md"]), "--report-json", str(out["report.json"])],
        capture_output=True, text=True, timeout=300, cwd=EXAMPLES,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert out[name].read_text() == (EXAMPLES / name).read_text(), f"examples/{name} is stale: regenerate it"


def _cli_statements(script: str) -> list[str]:
    """The script cut as the Trino CLI cuts it: at each ``;`` ending a line (the script's promise)."""
    return [s.strip() for s in re.split(r";\s*\n", script) if re.sub(r"--[^\n]*", "", s).strip()]


@pytest.mark.trino
@pytest.mark.timeout(900)
def test_the_example_script_runs_on_trino_and_keeps_every_result() -> None:
    client = client_from_jdbc_url(service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox"))
    schema = f"lk_example_{uuid.uuid4().hex[:8]}"
    text = (EXAMPLES / "workload.json").read_text().replace("iceberg.shop.", f"iceberg.{schema}.")
    workload = parse_workload(json.loads(text))
    plan = optimize(workload).result
    new_schema = f"{schema}_opt"
    assert plan.ddl[0].statement == f"CREATE SCHEMA iceberg.{new_schema}"
    try:
        client.execute(f"CREATE SCHEMA iceberg.{schema}")
        for ddl in workload.ddl:
            client.execute(ddl.statement)
        for table, rows in ROWS.items():
            client.execute(f"INSERT INTO iceberg.{schema}.{table} {rows}")
        statements = _cli_statements(plan_script(plan))
        assert len(statements) == len(plan.ddl) + len(plan.migrations) + len(plan.queries)
        results = [client.execute(s).rows for s in statements]
        rewritten = results[len(plan.ddl) + len(plan.migrations) :]
        for query, rows in zip(workload.queries, rewritten, strict=True):
            original = client.execute(query.query).rows
            assert sorted(map(repr, rows)) == sorted(map(repr, original)), query.queryid
            assert rows, f"{query.queryid} returned no rows: the example data does not exercise it"
    finally:
        for name in (new_schema, schema):
            tables = client.execute(f"SHOW TABLES FROM iceberg.{name}").rows if _exists(client, name) else []
            for (table,) in tables:
                drop_object(client, "TABLE", f"iceberg.{name}.{table}", 60)  # a table or a view
            client.execute(f"DROP SCHEMA IF EXISTS iceberg.{name}")


def _exists(client: TrinoClient, schema: str) -> bool:
    return bool(client.execute(f"SHOW SCHEMAS FROM iceberg LIKE '{schema}'").rows)
