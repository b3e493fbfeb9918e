"""``lakeopt verify`` and ``lakeopt sandbox`` argument handling: bad input is a clear message and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeopt import sandbox_commands
from lakeopt.cli import build_parser, main


def _run(argv: list[str]) -> int:
    return main(argv)


def test_missing_files_and_bad_json_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["verify", str(tmp_path / "w.json"), str(tmp_path / "r.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    workload = tmp_path / "w.json"
    workload.write_text(json.dumps({"ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}], "queries": []}))
    result = tmp_path / "r.json"
    result.write_text("{}")
    assert _run(["verify", str(workload), str(result)]) == 2
    assert "not a valid workload" in capsys.readouterr().err
    workload.write_text(
        json.dumps({"ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}], "queries": [{"queryid": "q", "query": "x"}]})
    )
    result.write_text('{"ddl": "nope"}')
    assert _run(["verify", str(workload), str(result)]) == 2
    assert "not a valid result" in capsys.readouterr().err


def test_a_plan_without_create_schema_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workload = tmp_path / "w.json"
    workload.write_text(
        json.dumps({"ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}], "queries": [{"queryid": "q", "query": "x"}]})
    )
    result = tmp_path / "r.json"
    result.write_text(json.dumps({"ddl": [{"statement": "CREATE TABLE c.n.t (a int)"}]}))
    assert _run(["verify", str(workload), str(result), "--url", "jdbc:trino://127.0.0.1:1?user=x"]) == 2
    assert "CREATE SCHEMA" in capsys.readouterr().err


def test_sandbox_scale_must_be_positive() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "load", "w.json", "--scale", "0"])
    args = build_parser().parse_args(["sandbox", "--catalogs", "a,b", "load", "w.json", "--scale", "2"])
    assert args.scale == 2.0 and sandbox_commands._config(args).iceberg_catalogs == ("a", "b")


def test_a_dead_trino_is_one_line_and_exit_1_without_a_traceback_or_the_password(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    workload = tmp_path / "w.json"
    workload.write_text(
        json.dumps(
            {
                "ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}],
                "queries": [{"queryid": "q", "query": "SELECT a FROM c.s.t"}],
            }
        )
    )
    result = tmp_path / "r.json"
    result.write_text(
        json.dumps(
            {
                "ddl": [{"statement": "CREATE SCHEMA c.n"}, {"statement": "CREATE TABLE c.n.t (a int)"}],
                "queries": [{"queryid": "q", "query": "SELECT a FROM c.n.t"}],
            }
        )
    )
    url = "jdbc:trino://127.0.0.1:1?user=x&password=s3(cr)et&SSL=true"
    done = subprocess.run(
        [sys.executable, "-m", "lakeopt", "verify", str(workload), str(result), "--url", url],
        capture_output=True,
        text=True,
        timeout=100,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=False,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("lakeopt verify:")]
    assert done.returncode == 1, done.stderr
    assert errors == ["lakeopt verify: cannot reach Trino at https://127.0.0.1:1 (no answer after 3 attempts)"], (
        done.stderr
    )
    assert "Traceback" not in done.stderr and "s3(cr)et" not in done.stderr + done.stdout


def test_a_second_sandbox_has_its_own_home_and_port(tmp_path: Path) -> None:
    args = build_parser().parse_args(["sandbox", "--home", str(tmp_path / "b"), "--port", "18081", "status"])
    config = sandbox_commands._config(args)
    assert config.home == tmp_path / "b" and config.data_dir == tmp_path / "b" / "data"
    assert config.url == "jdbc:trino://127.0.0.1:18081?user=lakeopt"
    default = sandbox_commands._config(build_parser().parse_args(["sandbox", "status"]))
    assert default.home != config.home and default.port == 18080
