"""Operational routes: liveness, readiness, Prometheus metrics, OpenAPI description."""

from __future__ import annotations

import asyncio

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gql_app.openapi import DOCS_HTML, openapi_document
from gql_app.page_security import page_headers
from jobs.tasks.worker_runner import WorkerHealth


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def worker_check(health: WorkerHealth) -> str:
    return "ok" if health.ready else health.detail


async def readyz(request: Request) -> JSONResponse:
    service = request.app.state.service
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(service.redis.ping(), timeout=2)
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable ({type(exc).__name__})"
    try:
        await asyncio.wait_for(service.store.ping(), timeout=2)
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unreachable ({type(exc).__name__})"
    # `lakeopt serve` runs a worker in this process too: not ready while it has no Redis.
    worker_health: WorkerHealth | None = getattr(request.app.state, "worker_health", None)
    if worker_health is not None:
        checks["worker"] = worker_check(worker_health)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def openapi(_request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())


async def docs(_request: Request) -> HTMLResponse:
    return HTMLResponse(DOCS_HTML, headers=page_headers(inline_styles=True))


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/docs", docs, methods=["GET"]),
]
