"""Request bodies, bounded: at most 8 MiB (REST and GraphQL alike), UTF-8 JSON, nested at most
:data:`MAX_JSON_DEPTH` deep. Every refusal is a 4xx with a message naming what is wrong.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobs.contract.workload import MAX_WORKLOAD_BYTES

#: A workload is 4 levels deep; GraphQL variables a few more.
MAX_JSON_DEPTH = 32


class BodyError(ValueError):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


def _too_large() -> JSONResponse:
    return JSONResponse({"error": f"request body larger than {MAX_WORKLOAD_BYTES} bytes"}, status_code=413)


class BodyLimitMiddleware:
    """Refuse with 413 any HTTP body over the limit, declared or streamed, before a route reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_WORKLOAD_BYTES:
            await _too_large()(scope, receive, send)
            return
        # Buffer the (bounded) body, then replay it to the route as one message.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_WORKLOAD_BYTES:
                await _too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _depth_within(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def decode_json(body: bytes | str) -> Any:
    """Decode a JSON document, or raise :class:`BodyError` (400 not UTF-8, 422 not usable JSON).

    >>> decode_json(b'{"a": [1]}')
    {'a': [1]}
    >>> decode_json("[" * 40 + "]" * 40)
    Traceback (most recent call last):
    ...
    gql_app.request_body.BodyError: JSON nested deeper than 32 levels
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise BodyError(400, "body is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(422, f"body is not valid JSON at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BodyError(422, f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits.
        raise BodyError(422, "body holds a number too long to read") from None
    if not _depth_within(data, MAX_JSON_DEPTH):
        raise BodyError(422, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data
