"""Views vs snapshot tables on the sandbox: plan a shared workload, rename its new schema to a
private ``mv_*`` one (the shared ``*_opt`` schemas belong to everyone), verify with the freshness
phase, and print derived objects, mismatches (timed, stale, fresh) and x.

    python scripts/bench_views.py flights.json [--url URL] [--profile] [--as-tables]

``--profile`` plans from the database profile as the service does; ``--as-tables`` renders every
derived object as a snapshot table (the plans before views, into ``tb_*``) for the x comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from jobs.contract.result import PlanResult
from jobs.db.profiler import collect_profile
from jobs.engine import optimize
from jobs.engine import views as engine_views
from jobs.engine.optimizer import baseline_result
from jobs.sandbox.config import SandboxConfig
from jobs.settings import get_settings
from jobs.verify.statements import new_schema
from jobs.verify.verifier import verify_plan
from lakeopt.errors import read_workload
from tests.sandbox.conftest import shared_workloads_dir


def _renamed(result: PlanResult, old: str, new: str) -> PlanResult:
    return PlanResult.model_validate_json(
        result.model_dump_json().replace(old + ".", new + ".").replace(f"CREATE SCHEMA {old}", f"CREATE SCHEMA {new}")
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--url", default=SandboxConfig().url)
    parser.add_argument("--profile", action="store_true", help="plan from the database profile at --url")
    parser.add_argument("--as-tables", action="store_true", help="derived objects as snapshot tables")
    parser.add_argument("--repetitions", type=int, default=1)
    args = parser.parse_args()
    path = Path(args.workload)
    workload = read_workload(str(path if path.exists() else shared_workloads_dir() / args.workload))
    profile = collect_profile(args.url, workload, get_settings()) if args.profile else None
    if args.as_tables:
        # The plans before views: over_copies() refusing every derived table makes each a snapshot.
        engine_views.over_copies = lambda plan, table: (None, "rendered as a table for the comparison", ())
    plan = optimize(workload, profile).result
    old = new_schema(plan.ddl[0].statement)
    new = old.split(".")[0] + (".tb_" if args.as_tables else ".mv_") + old.split(".")[1]
    result, baseline = _renamed(plan, old, new), _renamed(baseline_result(workload), old, new)
    report = asyncio.run(verify_plan(workload, result, args.url, repetitions=args.repetitions, baseline=baseline))
    derived = [
        s.statement.split()[1:3]
        for s in result.ddl
        if not s.statement.startswith(("CREATE SCHEMA", f"CREATE TABLE {new}.{''}"))
    ]
    views = sum(1 for s in result.ddl if s.statement.startswith("CREATE MATERIALIZED VIEW"))
    tables = sum(1 for s in result.ddl if s.statement.startswith("CREATE TABLE")) - len(workload.ddl)
    print(
        json.dumps(
            {
                "workload": args.workload,
                "views": views,
                "derived_tables": tables,
                "mismatch_timed": [q.queryid for q in report.queries if not q.equal],
                "mismatch_stale": [q.queryid for q in report.queries if q.equal_stale is False],
                "mismatch_fresh": [q.queryid for q in report.queries if q.equal_fresh is False],
                "compared_stale": sum(1 for q in report.queries if q.equal_stale is not None),
                "refresh_seconds": {v.name: v.refresh_seconds for v in report.views},
                "x": report.x,
                "y": report.y,
                "errors": report.errors[:5],
                # queryid -> [before, after] median seconds of the timed run
                "seconds": {q.queryid: [q.before_seconds, q.after_seconds] for q in report.queries},
                "derived": len(derived),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
