"""The ``lakeopt`` command: serve, api, worker, optimize, report, verify, sandbox, token."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata

from jobs.settings import Settings, SettingsError, get_settings
from lakeopt import optimize_command, report_command, sandbox_commands, token_command, verify_command
from lakeopt.errors import BAD_INPUT, INTERNAL, INTERRUPTED, CliError

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


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _auth_for(settings: Settings, host: str, *, insecure_open: bool) -> bool | None:
    """Whether the API must require tokens on ``host`` (``None``: as the settings say).

    Open (no token exists) is for local use only: on any other address tokens are required, so
    revoking the last one locks the API instead of opening it.
    """
    from jobs.tasks.store import create_store_engine
    from jobs.tasks.tokens import TokenStore

    engine = create_store_engine(settings.database_url)
    try:
        tokens = TokenStore(engine).active_count()
    finally:
        engine.dispose()
    if _is_loopback(host):
        if tokens == 0 and not settings.auth_required:
            log.info("no API tokens: the API is open to local users on %s (`lakeopt token create` closes it)", host)
        return None
    if insecure_open:
        log.warning("--insecure-open: the API on %s takes requests without a token while none exists", host)
        return None
    if tokens == 0:
        raise CliError(
            f"refusing to serve on {host} without API tokens: create one (`lakeopt token create NAME`), "
            "bind 127.0.0.1, or pass --insecure-open"
        )
    return True


async def _run_services(
    settings: Settings,
    redis_url: str,
    *,
    host: str,
    port: int | None,
    api: bool,
    worker: bool,
    auth_required: bool | None = None,
) -> None:
    import uvicorn

    from jobs.tasks.worker_runner import WorkerRunner

    runner = WorkerRunner(settings, redis_url) if worker else None
    server: uvicorn.Server | None = None
    if api:
        from gql_app.app import create_app

        app = create_app(settings, redis_url=redis_url, auth_required=auth_required)
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
    auth_required = _auth_for(settings, args.host, insecure_open=args.insecure_open) if api else None
    if api or args.port:
        # uvicorn re-raises the signal that stopped it; a no-op handler lets the worker and the
        # embedded Redis shut down cleanly instead of dying with the process.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: None)
    with _redis_url(settings, embedded_ok=args.command == "serve") as url:
        asyncio.run(
            _run_services(
                settings, url, host=args.host, port=args.port, api=api, worker=worker, auth_required=auth_required
            )
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakeopt", description="Workload-driven schema and query optimizer")
    parser.add_argument("--version", action="version", version=f"lakeopt {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (
        ("serve", "API and worker in one process (embedded Redis when REDIS_URL is unset)"),
        ("api", "the HTTP API only (needs REDIS_URL)"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument(
            "--insecure-open",
            action="store_true",
            help="on a non-loopback address, take requests without a token while none exists (unsafe)",
        )
        p.set_defaults(func=lambda a, api_only=name == "api": cmd_serve(a, worker=not api_only))

    p = sub.add_parser("worker", help="an arq worker (needs REDIS_URL)")
    p.add_argument("--host", default="127.0.0.1", help="address of the health endpoint")
    p.add_argument("--health-port", dest="port", type=int, default=None, help="serve /healthz and /readyz on this port")
    p.set_defaults(func=lambda a: cmd_serve(a, api=False))

    optimize_command.register(sub)
    report_command.register(sub)
    verify_command.register(sub)
    sandbox_commands.register(sub)
    token_command.register(sub)
    return parser


def _version() -> str:
    try:
        return metadata.version("lakeopt")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; every failure is one line on stderr and an exit code (README: exit codes)."""
    args = build_parser().parse_args(argv)
    # Services log their life; one-shot commands show progress and their warnings instead
    # (whose warnings land in the report): only errors are logged.
    level = logging.INFO if args.command in ("serve", "api", "worker") else logging.ERROR
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"lakeopt {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except SettingsError as exc:
        print(f"lakeopt {args.command}: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print(f"lakeopt {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("LAKEOPT_DEBUG"):
            raise
        print(
            f"lakeopt {args.command}: internal error: {type(exc).__name__}: {exc} (LAKEOPT_DEBUG=1: traceback)",
            file=sys.stderr,
        )
        return INTERNAL
    return code


if __name__ == "__main__":
    sys.exit(main())
