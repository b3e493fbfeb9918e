"""Benchmark the sandbox: Trino start time, workload load time and table sizes, and optionally the engine + verify.

    python scripts/bench_sandbox.py                          # flights at scale 10 (10M rows)
    python scripts/bench_sandbox.py --workloads flights questsH tpcds --scale 1 --verify

Needs a running sandbox for loading (it starts one when none runs and reports the start time).
``--verify`` plans the way the service does: the database profile first (JDBC ``SHOW STATS`` and
``EXPLAIN``, :func:`jobs.db.profiler.collect_profile`), then ``optimize(workload, profile)``;
``--no-profile`` plans from the DDL and workload alone, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from jobs.contract.workload import parse_workload_json
from jobs.sandbox.artifacts import ensure_server_artifacts
from jobs.sandbox.config import SandboxConfig, default_cache_dir
from jobs.sandbox.server import client, start, status, stop
from jobs.sandbox.workload_loader import load_workload

SHARED = Path(__file__).resolve().parents[2] / "shared" / "workloads"


def _start(config: SandboxConfig, restart: bool, figures: dict[str, object]) -> None:
    if restart:
        stop(config)
    if status(config).ready:
        return
    fetched = time.monotonic()
    ensure_server_artifacts(config)
    figures["fetch_and_unpack_seconds"] = round(time.monotonic() - fetched, 1)
    started = time.monotonic()
    start(config)
    figures["trino_start_seconds"] = round(time.monotonic() - started, 1)


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _verify(workload_path: Path, config: SandboxConfig, repetitions: int, with_profile: bool) -> dict[str, object]:
    from jobs.contract.profile import DatabaseProfile
    from jobs.db.profiler import collect_profile
    from jobs.engine import optimize
    from jobs.settings import get_settings
    from jobs.verify.verifier import verify_plan

    workload = parse_workload_json(workload_path.read_bytes())
    profiled = time.monotonic()
    profile: DatabaseProfile | None = None
    if with_profile:
        profile = collect_profile(config.url, workload, get_settings())
    profiling = time.monotonic() - profiled
    planned = time.monotonic()
    plan = optimize(workload, profile).result
    planning = time.monotonic() - planned
    verified = time.monotonic()
    load_before = _load_average()
    report = asyncio.run(verify_plan(workload, plan, config.url, repetitions=repetitions))
    return {
        "profile_seconds": round(profiling, 1) if profile is not None else None,
        "profiled_tables": len(profile.tables) if profile is not None else None,
        "profile_warnings": profile.warnings if profile is not None else None,
        "planning_seconds": round(planning, 2),
        "verify_seconds": round(time.monotonic() - verified, 1),
        "load_average": {"before_verify": load_before, "after_verify": _load_average()},
        "x": report.x,
        "y": report.y,
        "z": report.z,
        "mismatches": report.mismatches,
        "mismatch_details": {q.queryid: q.detail for q in report.queries if not q.equal},
        "errors": report.errors,
        "source_bytes": report.source_bytes,
        "new_bytes": report.new_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", default=["flights"])
    parser.add_argument("--scale", type=float, default=10.0, help="1 = 1M rows in the largest tables (default 10)")
    parser.add_argument("--restart", action="store_true", help="restart the sandbox to measure its start time")
    parser.add_argument("--verify", action="store_true", help="run jobs.engine.optimize + verify on each workload")
    parser.add_argument("--no-profile", action="store_true", help="plan without the database profile")
    parser.add_argument("--repetitions", type=int, default=1)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--port", type=int, default=18080, help="another port runs a second, separate sandbox")
    parser.add_argument("--home", type=Path, help="sandbox state directory (default ~/.lakeopt/sandbox)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="download cache (a new one measures a cold start)")
    parser.add_argument("--skip-load", action="store_true", help="use the data already loaded")
    parser.add_argument("--stop", action="store_true", help="stop the sandbox at the end")
    args = parser.parse_args()
    config = SandboxConfig(port=args.port, cache_dir=args.cache_dir or default_cache_dir())
    if args.home is not None:
        config = SandboxConfig(home=args.home, port=args.port, cache_dir=config.cache_dir)
    figures: dict[str, object] = {"scale": args.scale}
    _start(config, args.restart, figures)
    trino = client(config)
    for name in args.workloads:
        path = args.shared / f"{name}.json"
        entry: dict[str, object] = {}
        if not args.skip_load:
            report = load_workload(trino, parse_workload_json(path.read_bytes()), args.scale)
            entry = {
                "load_seconds": round(report.seconds, 1),
                "load_average_after_load": _load_average(),
                "rows": report.total_rows,
                "bytes": report.total_bytes,
                "largest_tables": [
                    {"table": t.name, "rows": t.rows, "bytes": t.bytes, "seconds": round(t.seconds, 1)}
                    for t in sorted(report.tables, key=lambda t: -t.rows)[:5]
                ],
            }
        if args.verify:
            entry["verify"] = _verify(path, config, args.repetitions, not args.no_profile)
        figures[name] = entry
        print(json.dumps({name: entry}, indent=2), flush=True)
    print(json.dumps(figures, indent=2))
    if args.stop:
        stop(config)


if __name__ == "__main__":
    main()
