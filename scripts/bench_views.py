"""Views vs snapshot tables on the sandbox: plan a shared workload, rename its new schema to a
private ``mv_*`` one (the shared ``*_opt`` schemas belong to everyone), verify with the freshness
phase, and print derived objects, mismatches (timed, stale, fresh) and x.

    python scripts/bench_views.py flights.json [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json

from jobs.contract.result import PlanResult
from jobs.engine import optimize
from jobs.engine.optimizer import baseline_result
from jobs.sandbox.config import SandboxConfig
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
    args = parser.parse_args()
    workload = read_workload(str(shared_workloads_dir() / args.workload))
    plan = optimize(workload).result
    old = new_schema(plan.ddl[0].statement)
    new = old.split(".")[0] + ".mv_" + old.split(".")[1]
    result, baseline = _renamed(plan, old, new), _renamed(baseline_result(workload), old, new)
    report = asyncio.run(verify_plan(workload, result, args.url, repetitions=1, baseline=baseline))
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
                "derived": len(derived),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
