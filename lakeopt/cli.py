"""The ``lakeopt`` command: serve, api, worker, optimize, verify, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from jobs.settings import Settings, get_settings
from lakeopt import sandbox_commands, verify_command
from lakeopt.errors import CliError, read_workload

log = logging.getLogger("lakeopt")


@contextlib.contextmanager
def _redis_url(settings: Settings, *, embedded_ok: bool) -> Iterator[str]:
    if settings.redis_url:
        yield settings.redis_url
        return
    if not embedded_ok:
        raise SystemExit("REDIS_URL is not set; set it, or use `lakeopt serve`, which starts an embedded Redis")
    from jobs.tasks.redis_server import running_redis

    with running_redis(settings.home / "redis") as url:
        log.info("started an embedded Redis at %s (set REDIS_URL to use your own)", url)
        yield url


async def _run_services(
    settings: Settings, redis_url: str, *, host: str, port: int | None, api: bool, worker: bool
) -> None:
    import uvicorn

    from jobs.tasks.worker_runner import WorkerRunner

    runner = WorkerRunner(settings, redis_url) if worker else None
    server: uvicorn.Server | None = None
    if api:
        from gql_app.app import create_app

        app = create_app(settings, redis_url=redis_url)
        if runner is not None:
            app.state.worker_health = runner.health
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port or 8000))
    elif runner is not None and port:
        from gql_app.worker_health_app import create_worker_health_app

        health_app = create_worker_health_app(runner.health)
        server = uvicorn.Server(uvicorn.Config(health_app, host=host, port=port, log_level="warning"))
    runners: list[asyncio.Task[None]] = []
    if server is not None:
        runners.append(asyncio.create_task(server.serve()))
    elif runner is not None:
        # No HTTP server to own the signals: they stop the worker directly.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, runner.stop)
    if runner is not None:
        runners.append(asyncio.create_task(runner.run()))
    try:
        # The HTTP server owns the signals when there is one: once it stops, the worker stops too.
        await asyncio.wait(runners, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if server is not None:
            server.should_exit = True
        if runner is not None:
            runner.stop()
        await asyncio.gather(*runners, return_exceptions=True)


def cmd_serve(args: argparse.Namespace, *, api: bool = True, worker: bool = True) -> int:
    settings = get_settings()
    if api or args.port:
        # uvicorn re-raises the signal that stopped it; a no-op handler lets the worker and the
        # embedded Redis shut down cleanly instead of dying with the process.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: None)
    with _redis_url(settings, embedded_ok=args.command == "serve") as url:
        asyncio.run(_run_services(settings, url, host=args.host, port=args.port, api=api, worker=worker))
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    from jobs.tasks.pipeline import run_pipeline
    from jobs.tasks.stages import Stage

    settings = get_settings()
    workload = read_workload(args.workload)
    started = time.monotonic()

    async def progress(stage: Stage, fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {stage}: {message}", file=sys.stderr)

    from jobs.engine import PlanningError

    try:
        outcome = asyncio.run(
            run_pipeline(
                workload,
                url=args.url if args.url is not None else workload.url,
                verify_url=args.verify_url if args.verify_url is not None else workload.verify_url,
                settings=settings,
                progress=progress,
                deadline=started + settings.task_time_limit,
            )
        )
    except PlanningError as exc:
        raise CliError(f"{args.workload}: {exc}") from exc
    text = json.dumps(outcome.result.model_dump(mode="json"), indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n")
    else:
        print(text)
    if args.report:
        Path(args.report).write_text(outcome.report.model_dump_json(indent=2) + "\n")
    for warning in outcome.report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if outcome.report.verification is not None:
        v = outcome.report.verification
        print(f"verification: x={v.x} y={v.y} z={v.z} mismatches={v.mismatches}", file=sys.stderr)
    for line in outcome.report.recommendations:
        print(f"recommendation: {line}", file=sys.stderr)
    if outcome.report.explanation:
        print("\n" + outcome.report.explanation, file=sys.stderr)
    print(f"done in {time.monotonic() - started:.2f} s", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakeopt", description="Workload-driven schema and query optimizer")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (
        ("serve", "API and worker in one process (embedded Redis when REDIS_URL is unset)"),
        ("api", "the HTTP API only (needs REDIS_URL)"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.set_defaults(func=lambda a, api_only=name == "api": cmd_serve(a, worker=not api_only))

    p = sub.add_parser("worker", help="an arq worker (needs REDIS_URL)")
    p.add_argument("--host", default="127.0.0.1", help="address of the health endpoint")
    p.add_argument("--health-port", dest="port", type=int, default=None, help="serve /healthz and /readyz on this port")
    p.set_defaults(func=lambda a: cmd_serve(a, api=False))

    p = sub.add_parser("optimize", help="plan a workload in-process and print the result JSON")
    p.add_argument("workload", metavar="WORKLOAD.json")
    p.add_argument("--url", help="JDBC URL to profile (default: the workload's url)")
    p.add_argument(
        "--verify-url", help="writable Trino to run and measure the plan on (default: the workload's verify_url)"
    )
    p.add_argument("-o", "--output", metavar="RESULT.json", help="write the result here instead of stdout")
    p.add_argument("--report", metavar="REPORT.json", help="also write the report (warnings, rationale)")
    p.set_defaults(func=cmd_optimize)

    verify_command.register(sub)
    sandbox_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"lakeopt {args.command}: {exc}", file=sys.stderr)
        return exc.code
    return code


if __name__ == "__main__":
    sys.exit(main())
