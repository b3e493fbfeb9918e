"""The ASGI app factory: GraphQL at /graphql, the REST routes, and operational endpoints.

Clients (Redis pool, task store, event hub) are created in the lifespan, never at import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from gql_app import console_routes, ops_routes, rest_routes
from gql_app.auth import Authenticator, AuthMiddleware, Unauthorized, connection_authorization
from gql_app.graphiql_page import graphiql_response
from gql_app.graphql_schema import create_schema
from gql_app.metrics import Metrics, MetricsMiddleware
from gql_app.request_body import BodyError, BodyLimitMiddleware, decode_json
from jobs.settings import Settings, get_settings
from jobs.tasks.cpu_pool import CpuPool
from jobs.tasks.events import TaskEventHub
from jobs.tasks.log_redaction import install_log_redaction
from jobs.tasks.service import TaskService
from jobs.tasks.store import TaskStore
from jobs.tasks.tokens import TokenStore


class LakeoptGraphQL(GraphQL[dict[str, Any], None]):
    def decode_json(self, data: str | bytes) -> object:
        try:
            return decode_json(data)
        except BodyError as exc:
            raise HTTPException(400, str(exc)) from None

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> dict[str, Any]:
        state = request.app.state
        context = {"service": state.service, "hub": state.hub, "metrics": state.metrics, "auth": state.auth}
        if isinstance(request, Request):
            # AuthMiddleware checked every request that runs an operation; the GraphiQL page
            # (GET without a query) runs none. A websocket gets its principal in on_ws_connect.
            context["principal"] = getattr(request.state, "principal", None)
        else:
            context["upgrade_authorization"] = request.headers.get("authorization")
        return context

    async def on_ws_connect(self, context: dict[str, Any]) -> UnsetType | dict[str, object] | None:
        authorization = connection_authorization(context.get("connection_params"))
        authenticator: Authenticator = context["auth"]
        try:
            access = await authenticator.check(authorization or context.get("upgrade_authorization"))
        except Unauthorized as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from None
        context["principal"] = access.principal
        unset: UnsetType = UNSET
        return unset  # a plain connection_ack

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads GraphiQL from a CDN; ours ships it in the package.
        return graphiql_response()


def create_app(
    settings: Settings | None = None, *, redis_url: str | None = None, auth_required: bool | None = None
) -> Starlette:
    """Build the app; ``redis_url`` overrides ``settings.redis_url`` (the CLI's embedded Redis),
    ``auth_required`` overrides ``settings.auth_required`` (``serve`` on a public address)."""
    settings = settings or get_settings()
    url = redis_url or settings.redis_url
    if not url:
        raise ValueError("REDIS_URL is not set (lakeopt serve starts an embedded Redis when it is unset)")
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        install_log_redaction()
        store = TaskStore.from_url(settings.database_url)
        redis = await create_pool(RedisSettings.from_dsn(url))
        hub = TaskEventHub(redis)
        await hub.start()
        metrics.bind_subscribers(lambda: hub.subscriber_count)
        cpu = CpuPool()
        app.state.service = TaskService(store, redis, settings, cpu)
        app.state.hub = hub
        app.state.metrics = metrics
        required = settings.auth_required if auth_required is None else auth_required
        app.state.auth = Authenticator(TokenStore(store.engine), required=required)
        try:
            yield
        finally:
            await hub.stop()
            await redis.aclose()
            cpu.close()
            store.close()

    graphql = LakeoptGraphQL(create_schema(), graphql_ide="graphiql")
    routes = [
        *rest_routes.routes,
        *ops_routes.routes,
        *console_routes.routes,
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(AuthMiddleware),
            Middleware(BodyLimitMiddleware),
        ],
    )
