"""``lakeopt optimize``'s files (plan, SQL script, Markdown, report JSON), ``lakeopt report`` and
the one-line errors with their exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlglot

from jobs.contract.result import PlanResult
from jobs.sql.dialect import trino
from tests.conftest import load_workload


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeopt", *args], capture_output=True, text=True, timeout=300, env=env
    )


def _flights(tmp_path: Path, url: str | None = None) -> Path:
    workload = load_workload("flights.json")
    workload.pop("url")
    if url:
        workload["url"] = url
    source = tmp_path / "workload.json"
    source.write_text(json.dumps(workload))
    return source


def _statements(script: str) -> list[str]:
    # Comments dropped: they are the script's own section and query labels.
    return [t.sql(dialect=trino(), comments=False) for t in sqlglot.parse(script, dialect=trino()) if t is not None]


def test_optimize_writes_a_script_a_report_and_report_renders_them_again(tmp_path: Path) -> None:
    files = {name: tmp_path / name for name in ("plan.json", "plan.sql", "report.md", "report.json")}
    done = _run(
        "optimize", str(_flights(tmp_path)), "-o", str(files["plan.json"]), "--sql", str(files["plan.sql"]),
        "--report", str(files["report.md"]), "--report-json", str(files["report.json"]),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan = PlanResult.model_validate_json(files["plan.json"].read_text())
    script = files["plan.sql"].read_text()
    # The script is the plan, statement for statement, each ending with `;`, with a comment per query.
    originals = [s.statement for s in [*plan.ddl, *plan.migrations]] + [q.query for q in plan.queries]
    assert _statements(script) == _statements(";\n".join(originals))
    assert script.count(";\n") == len(originals)
    assert all(f"-- query {q.queryid}\n" in script for q in plan.queries)
    assert "\n  " in script  # pretty-printed
    markdown = files["report.md"].read_text()
    assert markdown.startswith("# lakeopt plan report") and "### 2. Pre-aggregated table" in markdown
    assert json.loads(files["report.json"].read_text())["markdown"] == markdown
    again = _run("report", str(files["plan.json"]), str(files["report.json"]))
    assert again.returncode == 0 and again.stdout == markdown
    plan_only = _run("report", str(files["plan.json"]), "--report", str(tmp_path / "plan-only.md"))
    assert plan_only.returncode == 0 and "16 new tables" in (tmp_path / "plan-only.md").read_text()


def test_errors_are_one_line_with_their_exit_code(tmp_path: Path) -> None:
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.startswith("lakeopt ")
    bad_env = _run("optimize", str(_flights(tmp_path)), env={"LAKEOPT_TASK_TIME_LIMIT": "abc", "PATH": ""})
    assert bad_env.returncode == 2
    assert bad_env.stderr.strip().splitlines() == [
        "lakeopt optimize: environment variable LAKEOPT_TASK_TIME_LIMIT must be a number of seconds, got 'abc'"
    ]
    not_a_plan = tmp_path / "plan.json"
    not_a_plan.write_text('{"ddl": 3}')
    refused = _run("report", str(not_a_plan))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "ddl" in refused.stderr


def test_without_an_output_file_the_plan_goes_to_stdout() -> None:
    done = _run("optimize", str(Path(__file__).resolve().parents[1] / "examples" / "workload.json"))
    assert done.returncode == 0, done.stderr
    assert len(PlanResult.model_validate_json(done.stdout).queries) == 6


def test_an_unreachable_database_still_plans_and_exits_4(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    done = _run("optimize", str(_flights(tmp_path, "jdbc:trino://127.0.0.1:1?user=nobody")), "-o", str(out))
    assert done.returncode == 4, done.stderr
    assert "could not read statistics from the database" in done.stderr and "Traceback" not in done.stderr
    assert len(PlanResult.model_validate_json(out.read_text()).queries) == 22
