"""Who may call the API: bearer tokens (``lakeopt token create``), or nobody checks at all.

The API is open while no token exists and ``LAKEOPT_AUTH`` is not ``required`` (``lakeopt serve``
then binds a loopback address only). Otherwise every task route and GraphQL operation needs
``Authorization: Bearer <token>``; a legacy REST poller may send the token as the password of HTTP
Basic. The websocket sends it in ``connection_init``'s payload (browsers cannot set headers on
an upgrade). Pages, static assets and the ops routes stay public: they hold no task data.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from jobs.tasks.tokens import Principal, TokenStore

#: Paths whose answers carry task data; everything else (pages, assets, /healthz...) is public.
PROTECTED_PREFIXES = ("/new", "/status", "/getresult", "/report", "/graphql", "/tasks/")


class Unauthorized(Exception):
    """No valid credentials; the message says what was wrong (never echoing the token)."""


@dataclass(frozen=True)
class Access:
    """The outcome of a check: ``principal`` is ``None`` when the API is open."""

    principal: Principal | None


def bearer_token(authorization: str | None) -> str | None:
    """The token of a ``Bearer`` or ``Basic`` (token as password) header; ``None`` when absent."""
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("the Basic credentials are not base64 of 'user:token'") from None
        _, colon, password = decoded.partition(":")
        if colon and password:
            return password
        raise Unauthorized("HTTP Basic needs the API token as its password ('user:token')")
    raise Unauthorized("the Authorization header must be 'Bearer <token>' (or Basic with the token as password)")


class Authenticator:
    """Decides each request's access against the token store."""

    def __init__(self, tokens: TokenStore, *, required: bool) -> None:
        self.tokens = tokens
        self.required = required

    async def is_open(self) -> bool:
        return not self.required and await self.tokens.active_count_async() == 0

    async def check(self, authorization: str | None) -> Access:
        """The request's access, or :class:`Unauthorized`."""
        token = bearer_token(authorization)
        if token is None:
            if await self.is_open():
                return Access(principal=None)
            raise Unauthorized("an API token is required: send 'Authorization: Bearer <token>' (lakeopt token create)")
        principal = await self.tokens.principal_async(token)
        if principal is None:
            if await self.is_open():
                # No token exists: a stray header does not lock a local user out.
                return Access(principal=None)
            raise Unauthorized("the API token is not valid (unknown or revoked)")
        return Access(principal=principal)


def connection_authorization(payload: Any) -> str | None:
    """The ``Authorization`` value a websocket client sent in ``connection_init``."""
    if not isinstance(payload, dict):
        return None
    for key in ("Authorization", "authorization"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    headers = payload.get("headers")
    return connection_authorization(headers) if isinstance(headers, dict) else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _protected(path: str, scope: Scope) -> bool:
    if not path.startswith(PROTECTED_PREFIXES):
        return False
    if path == "/graphql" and scope.get("method") == "GET":
        # The GraphiQL page is public; a query sent by GET is not (keys decoded as Starlette does).
        query_string = bytes(scope.get("query_string", b"")).decode("latin-1")
        return any(key == "query" for key, _ in parse_qsl(query_string, keep_blank_values=True))
    if path.startswith("/tasks/"):
        return path.endswith(".json")  # /tasks/<id> is the console's page shell
    return True


class AuthMiddleware:
    """Checks HTTP requests to protected paths; puts the principal in ``scope["state"]``.

    Websockets pass through here: the GraphQL view checks their ``connection_init``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _protected(scope.get("path", ""), scope):
            await self.app(scope, receive, send)
            return
        authenticator: Authenticator = scope["app"].state.auth
        try:
            access = await authenticator.check(_header(scope, b"authorization"))
        except Unauthorized as exc:
            await _refuse(scope, send, str(exc))
            return
        scope.setdefault("state", {})["principal"] = access.principal
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    # GraphQL clients read "errors"; REST clients read "error" (as every other REST error).
    shape = {"errors": [{"message": message}]} if scope.get("path") == "/graphql" else {"error": message}
    body = json.dumps(shape).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="lakeopt", Basic realm="lakeopt"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
