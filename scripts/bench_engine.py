"""Engine speed for the closing note: plan a 1,000-query workload without a database.

The queries are the shared workloads' queries, cycled and perturbed (literals changed, so no
two are identical) over the union of their tables:
    python scripts/bench_engine.py [--queries 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.contract.workload import Workload, parse_workload
from jobs.engine import optimize
from jobs.engine.validate import validate_result

WORKLOADS = Path(__file__).resolve().parents[2] / "shared" / "workloads"
_NUMBER = re.compile(r"(?<![\w.])(\d+)(?![\w.])")


def _shift(match: re.Match[str], by: int) -> str:
    return str(int(match.group(1)) + by)


def synthetic_workload(size: int) -> Workload:
    ddl: list[dict[str, str]] = []
    base: list[dict[str, object]] = []
    for name in ("flights", "questsH", "tpcds"):
        data = json.loads((WORKLOADS / f"{name}.json").read_text())
        ddl.extend(data["ddl"])
        base.extend(data["queries"])
    queries = []
    for index in range(size):
        source = base[index % len(base)]
        round_ = index // len(base)
        # Perturb integer literals (not identifiers) so every copy is a distinct query text.
        text = _NUMBER.sub(functools.partial(_shift, by=round_), str(source["query"]))
        queries.append(
            {
                "queryid": f"q{index:05d}",
                "query": text,
                "runquantity": int(str(source["runquantity"])) + round_,
                "executiontime": source["executiontime"],
            }
        )
    return parse_workload({"ddl": ddl, "queries": queries})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workload = synthetic_workload(args.queries)
    timings, cpu = [], []
    for _ in range(args.repeat):
        gc.collect()  # the previous repeat's garbage is not this plan's cost
        start, start_cpu = time.perf_counter(), time.process_time()
        plan = optimize(workload)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    problems = validate_result(workload, plan.result)
    rewritten = sum(1 for q in plan.plan.queries if q.rule) if plan.plan else 0
    print(
        f"optimize(): {len(workload.queries)} queries over {len(workload.ddl)} tables: "
        f"wall best {min(timings):.2f} s, median {statistics.median(timings):.2f} s of {args.repeat} "
        f"(CPU best {min(cpu):.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); "
        f"{len(plan.result.ddl)} DDL statements, {rewritten} queries rewritten by rules, "
        f"{len(problems)} validation problems"
    )


if __name__ == "__main__":
    main()
