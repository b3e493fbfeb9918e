"""Prometheus metrics, kept in a registry owned by each app instance (no global state)."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Paths reported by name; anything else is folded into "other" to bound label cardinality.
KNOWN_PATHS = frozenset(
    {"/new", "/status", "/getresult", "/graphql", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"}
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lakeopt_http_requests",
            "HTTP requests by path and status",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lakeopt_http_request_seconds", "HTTP request latency", ["path"], registry=self.registry
        )
        self.tasks_submitted = Counter("lakeopt_tasks_submitted", "Tasks accepted", registry=self.registry)
        self.subscribers = Gauge("lakeopt_task_subscribers", "Open taskStatus subscriptions", registry=self.registry)

    def bind_subscribers(self, count: Callable[[], int]) -> None:
        self.subscribers.set_function(count)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)
            self.metrics.requests.labels(scope["method"], path, str(status)).inc()
