"""``lakeopt verify WORKLOAD.json RESULT.json``: run a plan on a writable Trino, time and compare every query."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from lakeopt.errors import CliError, read_workload


def _print_report(report: object) -> None:
    from jobs.contract.verification import VerificationReport

    assert isinstance(report, VerificationReport)
    print(f"{'queryid':<38} {'before s':>9} {'after s':>9} {'speedup':>8}  result")
    for q in report.queries:
        before = f"{q.before_seconds:.3f}" if q.before_seconds is not None else "failed"
        after = f"{q.after_seconds:.3f}" if q.after_seconds is not None else "failed"
        speedup = f"{q.speedup:.2f}" if q.speedup is not None else "-"
        verdict = "equal" if q.equal else f"MISMATCH: {q.detail}"
        print(f"{q.queryid[:38]:<38} {before:>9} {after:>9} {speedup:>8}  {verdict}")
    for q in report.queries:
        if q.equal_stale is not None:
            print(
                f"freshness {q.queryid[:38]}: stale {'equal' if q.equal_stale else 'MISMATCH'}, "
                f"fresh {'equal' if q.equal_fresh else 'MISMATCH'} {q.freshness_detail}".rstrip()
            )
    for view in report.views:
        seconds = f"{view.refresh_seconds:.3f} s" if view.refresh_seconds is not None else "failed"
        print(f"refresh {view.name}: {seconds} after appending {sum(view.appended_rows.values())} rows")
    for error in report.errors:
        print(f"error: {error}")

    def fmt(value: float | None) -> str:
        return f"{value:.3f}" if value is not None else "n/a"

    print(
        f"x={fmt(report.x)} y={fmt(report.y)} z={fmt(report.z)} "
        f"bytes {report.source_bytes} -> {report.new_bytes}, mismatches {len(report.mismatches)}"
    )


def _run(args: argparse.Namespace) -> int:
    from jobs.contract.result import PlanResult
    from jobs.db.trino_client import TrinoQueryError
    from jobs.sandbox.config import SandboxConfig
    from jobs.verify.statements import UnsafeStatementError
    from jobs.verify.verifier import verify_plan

    workload = read_workload(args.workload)
    try:
        result = PlanResult.model_validate(json.loads(Path(args.result).read_bytes()))
    except OSError as exc:
        raise CliError(f"cannot read {args.result}: {exc.strerror}") from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        raise CliError(f"{args.result} is not a valid result: {exc}") from exc
    url = args.url or workload.url or SandboxConfig().url
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        report = asyncio.run(verify_plan(workload, result, url, repetitions=args.repetitions))
    except (UnsafeStatementError, ValueError, TrinoQueryError) as exc:
        print(f"lakeopt verify: {exc}", file=sys.stderr)
        return 2
    _print_report(report)
    if args.output:
        Path(args.output).write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return 0 if report.ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``verify WORKLOAD.json RESULT.json [--url URL] [-o REPORT.json]``; sets ``func(args) -> int``."""
    verify = subparsers.add_parser(
        "verify", help="run a plan on a writable Trino: compare every query's rows, time them, score x, y, z"
    )
    verify.add_argument("workload", metavar="WORKLOAD.json")
    verify.add_argument("result", metavar="RESULT.json")
    verify.add_argument("--url", help="JDBC URL of a Trino it may write to (default: the workload's, else the sandbox)")
    verify.add_argument("-o", "--output", metavar="REPORT.json", help="write the full report as JSON")
    verify.add_argument("--repetitions", type=int, default=3, help="timed runs per query after a warm-up (default 3)")
    verify.set_defaults(func=_run)
