"""``lakeopt report PLAN.json [REPORT.json]``: the Markdown report and the SQL script of a plan
written earlier (by ``lakeopt optimize -o PLAN.json --report-json REPORT.json``, or fetched from
``/getresult`` and ``/report``), and the one writer of those files, shared with ``optimize``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from jobs.contract.result import PlanResult, TaskReport
from lakeopt.errors import CliError

Model = TypeVar("Model", bound=BaseModel)


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from exc


def write_outputs(
    result: PlanResult,
    report: TaskReport | None,
    *,
    output: str | None = None,
    sql: str | None = None,
    markdown: str | None = None,
    report_json: str | None = None,
) -> None:
    """Write each file asked for; ``output=None`` prints the plan JSON (``optimize``'s default)."""
    from jobs.engine.plan_script import plan_script
    from jobs.engine.report_markdown import render_markdown

    if output is not None:
        _write(output, json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
    if sql:
        _write(sql, plan_script(result))
    if report is not None and report.markdown is None:
        report.markdown = render_markdown(report, result)
    if markdown:
        _write(markdown, report.markdown if report is not None and report.markdown else "")
    if report_json and report is not None:
        _write(report_json, report.model_dump_json(indent=2) + "\n")


def read_model(path: str, model: type[Model], what: str) -> Model:
    try:
        return model.model_validate(json.loads(Path(path).read_bytes()))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON (line {exc.lineno} column {exc.colno})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the top level"
        raise CliError(f"{path} is not {what}: {where}: {first['msg']}") from exc


def _run(args: argparse.Namespace) -> int:
    from jobs.engine.report_markdown import render_markdown

    result = read_model(args.plan, PlanResult, "a plan (the JSON of `optimize -o` or /getresult)")
    report = read_model(args.report_json, TaskReport, "a report") if args.report_json else TaskReport()
    # Rendered again, not read back: the report's Markdown follows this version's renderer.
    report.markdown = render_markdown(report, result)
    if not args.report and not args.sql:
        sys.stdout.write(report.markdown)
    write_outputs(result, report, sql=args.sql, markdown=args.report)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``report PLAN.json [REPORT.json] [--report REPORT.md] [--sql PLAN.sql]``."""
    p = subparsers.add_parser(
        "report", help="render the Markdown report (and the SQL script) of a plan written earlier"
    )
    p.add_argument("plan", metavar="PLAN.json", help="the plan: `optimize -o` output, or /getresult's body")
    p.add_argument(
        "report_json",
        metavar="REPORT.json",
        nargs="?",
        help="its report: `optimize --report-json` output, or /report's body (without it: the plan alone)",
    )
    p.add_argument("--report", metavar="REPORT.md", help="write the Markdown here (default: stdout)")
    p.add_argument("--sql", metavar="PLAN.sql", help="write the plan as a commented SQL script")
    p.set_defaults(func=_run)
