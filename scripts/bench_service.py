"""Service figures for the closing note: submit latency, publish->subscriber latency, throughput.

Runs a real API and worker (as processes) on a real Redis:
    python scripts/bench_service.py [--submits 300] [--tasks 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.tasks.redis_server import running_redis
from tests.live_service import start_service

WORKLOADS = Path(__file__).resolve().parents[2] / "shared" / "workloads"
SUBSCRIPTION = "subscription($id: UUID!) { taskStatus(id: $id) { ... on TaskEvent { status publishedAt } } }"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def follow(ws_url: str, task_id: str, delays: list[float]) -> None:
    async with websockets.connect(ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        payload = {"query": SUBSCRIPTION, "variables": {"id": task_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] != "next":
                return
            published = message["payload"]["data"]["taskStatus"]["publishedAt"]
            if published is not None:
                delays.append(time.time() - published)


async def measure(base_url: str, ws_url: str, workload: dict[str, Any], submits: int, tasks: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        latencies = []
        for _ in range(submits):
            started = time.perf_counter()
            response = await client.post("/new", json=workload)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()

        # Let the worker drain the submit burst (FIFO queue) before timing throughput.
        last = (await client.post("/new", json=workload)).json()["taskid"]
        while (await client.get("/status", params={"task_id": last})).json()["status"] == "RUNNING":  # noqa: ASYNC110
            await asyncio.sleep(0.2)

        delays: list[float] = []
        started = time.perf_counter()
        ids = [(await client.post("/new", json=workload)).json()["taskid"] for _ in range(tasks)]
        followers = [asyncio.create_task(follow(ws_url, task_id, delays)) for task_id in ids[:20]]
        pending = set(ids)
        while pending:
            for task_id in list(pending):
                if (await client.get("/status", params={"task_id": task_id})).json()["status"] != "RUNNING":
                    pending.discard(task_id)
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        await asyncio.gather(*followers)
    return {
        "submit_p50_ms": 1000 * statistics.median(latencies),
        "submit_p99_ms": 1000 * percentile(latencies, 0.99),
        "publish_to_subscriber_p50_ms": 1000 * statistics.median(delays),
        "publish_to_subscriber_p99_ms": 1000 * percentile(delays, 0.99),
        "events_measured": len(delays),
        "tasks_per_second": tasks / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=60)
    args = parser.parse_args()
    workload = json.loads((WORKLOADS / "flights.json").read_text())
    workload.pop("url")  # the baseline plan without a database, as the issue asks
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_redis(Path(tmp) / "redis") as redis_url,
        start_service(Path(tmp) / "svc", redis_url, python=sys.executable) as service,
    ):
        figures = asyncio.run(measure(service.base_url, service.ws_url, workload, args.submits, args.tasks))
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
