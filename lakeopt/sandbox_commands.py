"""``lakeopt sandbox up|down|status|load``: the local Trino + Iceberg sandbox from the command line."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from jobs.sandbox.config import DEFAULT_ICEBERG_CATALOGS, SandboxConfig
from jobs.sql.jdbc_url import redact_url
from lakeopt.errors import read_workload

if TYPE_CHECKING:
    from jobs.contract.workload import Workload
    from jobs.db.trino_client import TrinoClient
    from jobs.sandbox.postgres_server import PostgresSandbox
    from jobs.sandbox.workload_loader import LoadReport, TableLoad


def _config(args: argparse.Namespace) -> SandboxConfig:
    # One line per HTTP poll would bury the output.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    catalogs = tuple(c.strip() for c in args.catalogs.split(",") if c.strip()) if args.catalogs else None
    # A second, independent sandbox (its own server, data and logs) needs only another home and port.
    config = SandboxConfig(
        port=args.port or SandboxConfig.port,
        heap=args.heap,
        iceberg_catalogs=catalogs or DEFAULT_ICEBERG_CATALOGS,
    )
    return replace(config, home=Path(args.home).expanduser().resolve()) if args.home else config


def _postgres(args: argparse.Namespace) -> PostgresSandbox:
    from jobs.sandbox.postgres_server import PostgresSandbox

    sandbox = PostgresSandbox(port=args.port or PostgresSandbox.port)
    return replace(sandbox, home=Path(args.home).expanduser().resolve()) if args.home else sandbox


def _up_postgres(args: argparse.Namespace) -> int:
    from jobs.sandbox.postgres_server import PostgresSandboxError, start

    sandbox = _postgres(args)
    try:
        notes = start(sandbox)
    except PostgresSandboxError as exc:
        print(f"lakeopt sandbox up: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"ready: PostgreSQL at {sandbox.url} (data in {sandbox.data_dir})")
    return 0


def _up(args: argparse.Namespace) -> int:
    if args.engine == "postgres":
        return _up_postgres(args)
    from jobs.sandbox.artifacts import ArtifactError
    from jobs.sandbox.java_runtime import JavaNotFoundError
    from jobs.sandbox.server import SandboxError, start
    from jobs.sandbox.server_config import SandboxConfigError
    from lakeopt.progress import transfer_progress

    config = _config(args)
    # A byte counter only when the server has to be downloaded (821 MB, once).
    bar = transfer_progress(f"Trino {config.version} server") if not config.tarball.exists() else None
    try:
        with bar if bar is not None else contextlib.nullcontext() as on_bytes:
            state = start(config, timeout=args.timeout, on_bytes=on_bytes)
    except (ArtifactError, JavaNotFoundError, SandboxError, SandboxConfigError) as exc:
        print(f"lakeopt sandbox up: {exc}", file=sys.stderr)
        return 1
    print(state.describe())
    return 0


def _down(args: argparse.Namespace) -> int:
    if args.engine == "postgres":
        from jobs.sandbox.postgres_server import PostgresSandboxError
        from jobs.sandbox.postgres_server import stop as stop_postgres

        try:
            print("stopped" if stop_postgres(_postgres(args)) else "the sandbox was not running")
        except PostgresSandboxError as exc:
            print(f"lakeopt sandbox down: {exc}", file=sys.stderr)
            return 1
        return 0
    from jobs.sandbox.server import stop

    print("stopped" if stop(_config(args)) else "the sandbox was not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    if args.engine == "postgres":
        from jobs.sandbox.postgres_server import is_running

        sandbox = _postgres(args)
        running = is_running(sandbox)
        print(f"ready: PostgreSQL at {sandbox.url}" if running else f"stopped (data in {sandbox.data_dir})")
        return 0 if running else 3
    from jobs.sandbox.server import status

    state = status(_config(args))
    print(state.describe())
    return 0 if state.ready else 3


def _load(args: argparse.Namespace) -> int:
    from jobs.db.trino_client import TrinoQueryError
    from jobs.sandbox.server import client, status
    from jobs.sandbox.workload_loader import LoadError, load_workload

    if args.engine == "postgres":
        return _load_postgres(args)
    config = _config(args)
    workload = read_workload(args.workload)
    if not status(config).ready:
        print("lakeopt sandbox load: the sandbox is not running; start it with `lakeopt sandbox up`", file=sys.stderr)
        return 1

    progress = _progress
    try:
        if args.source_url:
            report = _load_sample(args, client(config), workload, progress)
            scale = f"from {redact_url(args.source_url)}"
        else:
            report = load_workload(client(config), workload, args.scale, on_table=progress)
            scale = f"at scale {report.scale}"
    except (LoadError, TrinoQueryError) as exc:
        print(f"lakeopt sandbox load: {redact_url(str(exc))}", file=sys.stderr)
        return 1
    print(
        f"loaded {len(report.tables)} tables, {report.total_rows} rows, {report.total_bytes} bytes "
        f"{scale} in {report.seconds:.1f} s"
    )
    return 0


def _progress(table: TableLoad) -> None:
    print(f"  {table.name}: {table.rows} rows, {table.bytes} bytes from {table.source} in {table.seconds:.1f} s")


def _load_postgres(args: argparse.Namespace) -> int:
    from jobs.db.connection import JdbcError, connect_writable
    from jobs.sandbox.postgres_loader import load_postgres
    from jobs.sandbox.postgres_server import is_running
    from jobs.sandbox.workload_loader import LoadError
    from jobs.settings import load_settings

    sandbox = _postgres(args)
    if args.source_url:
        print("lakeopt sandbox load: --from copies from a Trino into the Trino sandbox only", file=sys.stderr)
        return 2
    workload = read_workload(args.workload)
    if not is_running(sandbox):
        print("lakeopt sandbox load: the sandbox is not running; start it with `lakeopt sandbox --engine postgres up`",
              file=sys.stderr)  # fmt: skip
        return 1
    try:
        with connect_writable(sandbox.url, load_settings()) as connection:
            report = load_postgres(connection, sandbox.url, workload, args.scale, on_table=_progress)
    except (LoadError, JdbcError) as exc:
        print(f"lakeopt sandbox load: {redact_url(str(exc))}", file=sys.stderr)
        return 1
    print(f"loaded {len(report.tables)} tables, {report.total_rows} rows, {report.total_bytes} bytes "
          f"at scale {report.scale} in {report.seconds:.1f} s into {sandbox.url}")  # fmt: skip
    return 0


def _load_sample(
    args: argparse.Namespace, target: TrinoClient, workload: Workload, progress: Callable[[TableLoad], None]
) -> LoadReport:
    from jobs.db.trino_client import client_from_jdbc_url
    from jobs.sandbox.sample_copy import SMALL_TABLE_ROWS, SampleOptions, copy_sample
    from jobs.sandbox.workload_loader import LoadError

    try:
        source = client_from_jdbc_url(args.source_url)
    except ValueError as exc:  # a malformed or non-Trino URL
        raise LoadError(f"--from: {exc}") from None
    small_rows = args.whole_below or SMALL_TABLE_ROWS
    options = SampleOptions(args.sample, max_rows=args.max_rows, max_bytes=args.max_bytes, small_rows=small_rows)
    return copy_sample(source, target, workload, options, on_table=progress)


def _percent(text: str) -> float:
    """``10%`` or ``10`` -> 0.1."""
    try:
        value = float(text.removesuffix("%")) / 100
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be more than 0% and at most 100%: {text!r}")
    return value


def _byte_count(text: str) -> int:
    """``500M``, ``2G``, ``1024`` -> bytes."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    number, unit = (text[:-1], units[text[-1].upper()]) if text[-1:].upper() in units else (text, 1)
    try:
        value = int(float(number) * unit)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 500M or 2G)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``sandbox up|down|status|load`` to the CLI; each sets ``func(args) -> int``."""
    sandbox = subparsers.add_parser("sandbox", help="a local Trino 476 + Iceberg for trying and testing lakeopt")
    sandbox.add_argument(
        "--home", metavar="DIR", help="the sandbox's own directory (default ~/.lakeopt/sandbox, or sandbox-pg)"
    )
    sandbox.add_argument(
        "--engine",
        choices=("trino", "postgres"),
        default="trino",
        help="trino (default: Trino 476 + Iceberg) or postgres (a private PostgreSQL server, Debian's binaries)",
    )
    sandbox.add_argument("--port", type=int, default=None, help="port (default 18080; 15432 with --engine postgres)")
    sandbox.add_argument("--heap", default="4G", help="JVM heap, e.g. 4G (default)")
    sandbox.add_argument(
        "--catalogs",
        default=None,
        help=f"comma-separated Iceberg catalogs (default {','.join(DEFAULT_ICEBERG_CATALOGS)}); "
        "tpch, tpcds and memory are always there",
    )
    actions = sandbox.add_subparsers(dest="sandbox_command", required=True)
    up = actions.add_parser("up", help="download (once), configure and start the sandbox")
    up.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for start-up")
    up.set_defaults(func=_up)
    actions.add_parser("down", help="stop the sandbox").set_defaults(func=_down)
    actions.add_parser("status", help="is the sandbox running (exit 0) or not (exit 3)").set_defaults(func=_status)
    load = actions.add_parser("load", help="create a workload's tables in the sandbox and fill them")
    load.add_argument("workload", metavar="WORKLOAD.json")
    load.add_argument(
        "--scale",
        type=_positive_float,
        default=0.01,
        help="1 = 1M rows in the largest tables, TPC-DS sf1 (default 0.01)",
    )
    load.add_argument(
        "--from",
        dest="source_url",
        metavar="URL",
        help="JDBC URL of a Trino to copy a sample of the source tables from (only read) instead of generating rows",
    )
    load.add_argument(
        "--sample",
        type=_percent,
        default=0.1,
        metavar="PERCENT",
        help="with --from: the share of each large table's rows, chosen by join key so joins keep matching "
        "(default 10%%); smaller tables are copied whole (see --whole-below)",
    )
    load.add_argument(
        "--whole-below",
        type=_positive_int,
        metavar="ROWS",
        help="with --from: tables of at most ROWS rows (dimensions, hubs, lookups) are copied whole (default 10,000)",
    )
    load.add_argument("--max-rows", type=_positive_int, default=1_000_000, help="with --from: rows per table at most")
    load.add_argument(
        "--max-bytes", type=_byte_count, default=2 * 1024**3, help="with --from: stop copying after this much (2G)"
    )
    load.set_defaults(func=_load)
