"""Trust figures for the closing note: bad inputs tried / 4xx / 5xx, secrets found (must be 0),
and /healthz latency while a 40,001-statement (3.4 MB) workload is submitted (REST and GraphQL).

Runs a real API and worker (as processes) on a real Redis:
    python scripts/bench_trust.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.tasks.redis_server import running_redis
from tests import trust_probes
from tests.live_service import start_service


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_redis(Path(tmp) / "redis") as redis_url,
        start_service(Path(tmp) / "service", redis_url, python=sys.executable) as service,
    ):
        tally, bodies = trust_probes.probe_bad_inputs(service.base_url)
        print(f"bad inputs: tried {tally.tried}, 4xx {tally.client_errors}, 5xx {tally.server_errors}")
        for line in tally.unexpected:
            print(f"  unexpected: {line}")
        places = [*bodies, service.logs(), *trust_probes.redis_contents(redis_url)]
        places += trust_probes.disk_files(service.home, Path(tmp) / "redis")
        print(f"secrets found: {len(trust_probes.secret_hits(places))}")
        body = trust_probes.big_workload()
        worst, status, took = trust_probes.healthz_during(service.base_url, "/new", body)
        print(
            f"REST 40,001 statements ({len(body) / 1e6:.1f} MB): /healthz worst {worst * 1000:.0f} ms, "
            f"submit {status} in {took:.1f} s"
        )
        wrapped = json.dumps({"query": trust_probes.SUBMIT, "variables": {"i": json.loads(body)}}).encode()
        worst, status, took = trust_probes.healthz_during(service.base_url, "/graphql", wrapped)
        print(f"GraphQL 40,001 statements: /healthz worst {worst * 1000:.0f} ms, submit {status} in {took:.1f} s")


if __name__ == "__main__":
    main()
