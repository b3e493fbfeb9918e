"""``lakeopt verify WORKLOAD.json RESULT.json``: run a plan on a writable Trino, time and compare every query."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path

from pydantic import ValidationError

from lakeopt.errors import BAD_INPUT, UNAVAILABLE, CliError, read_workload
from lakeopt.verify_progress import verify_progress


def _print_report(report: object) -> None:
    from jobs.contract.verification import VerificationReport

    assert isinstance(report, VerificationReport)
    print(f"{'queryid':<38} {'before s':>9} {'after s':>9} {'trino b/a s':>13} {'speedup':>8}  result")
    for q in report.queries:
        before = f"{q.before_seconds:.3f}" if q.before_seconds is not None else "failed"
        after = f"{q.after_seconds:.3f}" if q.after_seconds is not None else "failed"
        trino = "/".join(f"{s:.3f}" if s is not None else "-" for s in (q.before_trino_seconds, q.after_trino_seconds))
        speedup = f"{q.speedup:.2f}" if q.speedup is not None else "-"
        verdict = (
            q.status
            if q.status == "equal"
            else f"{q.status.upper() if q.status == 'mismatch' else q.status}: {q.detail}"
        )
        print(f"{q.queryid[:38]:<38} {before:>9} {after:>9} {trino:>13} {speedup:>8}  {verdict}")
    for queryid in report.unmeasured:
        print(f"{queryid[:38]:<38} {'-':>9} {'-':>9} {'-':>13} {'-':>8}  not measured (budget)")
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
    from jobs.db.connection import JdbcError
    from jobs.db.trino_client import TrinoQueryError
    from jobs.sandbox.config import SandboxConfig
    from jobs.sql.dialect import POSTGRES, dialect_of_url
    from jobs.sql.jdbc_url import redact_url
    from jobs.verify.postgres import verify_postgres_plan
    from jobs.verify.statements import UnsafeStatementError
    from jobs.verify.verifier import UNREACHABLE, verify_plan

    workload = read_workload(args.workload)
    try:
        result = PlanResult.model_validate(json.loads(Path(args.result).read_bytes()))
    except OSError as exc:
        raise CliError(f"cannot read {args.result}: {exc.strerror}") from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        raise CliError(f"{args.result} is not a valid result: {exc}") from exc
    url = args.url or workload.url or SandboxConfig().url
    for noisy in ("httpx", "trino"):  # their retry lines would interleave with the progress
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if dialect_of_url(url) == POSTGRES:
            report = asyncio.run(verify_postgres_plan(workload, result, url, repetitions=args.repetitions))
        else:
            with verify_progress(f"verify {Path(args.result).name}") as progress:
                report = asyncio.run(
                    verify_plan(
                        workload,
                        result,
                        url,
                        repetitions=args.repetitions,
                        on_progress=progress,
                        budget_seconds=args.budget,
                    )
                )
    except UnsafeStatementError as exc:
        raise CliError(f"refused before anything ran: {exc}") from exc
    except TrinoQueryError as exc:
        # A dead server or a refused DDL/migration: one line (redacted), never a traceback.
        code = UNAVAILABLE if exc.error_name in UNREACHABLE else BAD_INPUT
        raise CliError(redact_url(str(exc))[:500], code) from exc
    except JdbcError as exc:  # PostgreSQL: the driver's message, already redacted
        raise CliError(str(exc)[:500], UNAVAILABLE) from exc
    except ValueError as exc:  # a bad or non-Trino URL
        raise CliError(redact_url(str(exc))[:500]) from exc
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
    verify.add_argument(
        "--url", help="JDBC URL of a Trino or PostgreSQL it may write to (default: the workload's, else the sandbox)"
    )
    verify.add_argument("-o", "--output", metavar="REPORT.json", help="write the full report as JSON")
    verify.add_argument("--repetitions", type=int, default=3, help="timed runs per query after a warm-up (default 3)")
    verify.add_argument(
        "--budget",
        type=float,
        metavar="SECONDS",
        help="stop measuring after this long; the report then lists the queries left unmeasured",
    )
    verify.set_defaults(func=_run)
