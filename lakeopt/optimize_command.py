"""``lakeopt optimize WORKLOAD.json``: plan a workload in-process, with progress on stderr.

Writes the plan (``-o``, the contract's JSON; stdout without it), and on request the same plan as a
SQL script (``--sql``), the Markdown report (``--report``) and the report as JSON (``--report-json``,
what ``GET /report`` returns; ``lakeopt report`` renders it again later).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from jobs.settings import get_settings
from lakeopt.errors import NO_DATABASE, CliError, read_workload
from lakeopt.progress import ProgressLine
from lakeopt.report_command import write_outputs


def _run(args: argparse.Namespace) -> int:
    from jobs.engine import PlanningError
    from jobs.tasks.pipeline import run_pipeline
    from jobs.tasks.stages import Stage

    settings = get_settings()
    workload = read_workload(args.workload)
    url = args.url if args.url is not None else workload.url
    started = time.monotonic()
    with ProgressLine("optimize") as line:

        async def progress(stage: Stage, fraction: float, message: str) -> None:
            line.update(fraction, message, stage=str(stage))

        try:
            outcome = asyncio.run(
                run_pipeline(
                    workload,
                    url=url,
                    verify_url=args.verify_url if args.verify_url is not None else workload.verify_url,
                    settings=settings,
                    progress=progress,
                    deadline=started + settings.task_time_limit,
                )
            )
        except PlanningError as exc:
            raise CliError(f"{args.workload}: {exc}") from exc
        line.update(1.0, f"done in {time.monotonic() - started:.1f} s", stage="done")
    report = outcome.report
    if args.output is None:
        print(json.dumps(outcome.result.model_dump(mode="json"), indent=2))
    write_outputs(
        outcome.result,
        report,
        output=args.output,
        sql=args.sql,
        markdown=args.report,
        report_json=args.report_json,
    )
    for warning in report.warnings:
        line.note(f"warning: {warning}")
    if args.report:
        line.note(f"{len(report.recommendations)} recommendations: see {args.report}")
    else:
        for summary in report.recommendations:
            line.note(f"recommendation: {summary}")
    if report.verification is not None:
        v = report.verification
        line.note(f"verification: x={v.x} y={v.y} z={v.z} mismatches={v.mismatches}")
    if url and outcome.profile is not None and not outcome.profile.tables:
        line.note(
            f"lakeopt optimize: could not read statistics from the database (see the warnings); "
            f"planned from the DDL and the workload alone (exit {NO_DATABASE})"
        )
        return NO_DATABASE
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``optimize WORKLOAD.json [--url URL] [--verify-url URL] [-o] [--sql] [--report] [--report-json]``."""
    p = subparsers.add_parser("optimize", help="plan a workload in-process and print the result JSON")
    p.add_argument("workload", metavar="WORKLOAD.json")
    p.add_argument("--url", help="JDBC URL to profile (default: the workload's url; '' for none)")
    p.add_argument(
        "--verify-url", help="writable Trino to run and measure the plan on (default: the workload's verify_url)"
    )
    p.add_argument("-o", "--output", metavar="PLAN.json", help="write the plan (the contract's JSON) instead of stdout")
    p.add_argument("--sql", metavar="PLAN.sql", help="also write the plan as a commented SQL script for the Trino CLI")
    p.add_argument("--report", metavar="REPORT.md", help="also write the Markdown report")
    p.add_argument(
        "--report-json", metavar="REPORT.json", help="also write the report as JSON (input of `lakeopt report`)"
    )
    p.set_defaults(func=_run)
