"""``/healthz`` and ``/readyz`` of a worker on its own (``lakeopt worker --health-port``).

``/readyz`` answers 503 while the worker has no Redis (it reconnects by itself meanwhile).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gql_app.ops_routes import healthz, worker_check
from jobs.tasks.worker_runner import WorkerHealth


def create_worker_health_app(health: WorkerHealth) -> Starlette:
    async def readyz(_request: Request) -> JSONResponse:
        check = worker_check(health)
        ready = check == "ok"
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": {"worker": check}},
            status_code=200 if ready else 503,
        )

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])])
