"""The web console: its page at ``/`` and ``/tasks/<id>``, its assets, and the plan laid out for reading.

Every page is the same shell (``static/console/index.html``); the ES modules it loads read the
task id from the path, so a reload or a shared link shows that task. ``/tasks/<id>/pretty.json``
returns a DONE task's statements and queries, each original query beside its rewrite,
formatted by sqlglot in a worker thread (parsing is CPU work the event loop must not wait on).
"""

from __future__ import annotations

import enum
import functools
import json
import uuid
from pathlib import Path
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gql_app.page_security import page_headers
from gql_app.pretty_sql import PrettySql, pretty, pretty_all
from gql_app.rest_routes import ApiError

STATIC_DIR = Path(__file__).resolve().parent / "static"


class _Record(Protocol):
    """What the console reads of a stored task."""

    @property
    def status(self) -> enum.Enum: ...
    @property
    def result_json(self) -> str | None: ...
    @property
    def workload_json(self) -> str: ...


@functools.cache
def _shell() -> str:
    return (STATIC_DIR / "console" / "index.html").read_text(encoding="utf-8")


def _parsed_task_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def console_page(request: Request) -> Response:
    # A malformed id still gets the page (which says what is wrong), with a 404 status.
    raw = request.path_params.get("task_id")
    status = 404 if raw is not None and _parsed_task_id(raw) is None else 200
    return HTMLResponse(_shell(), status_code=status, headers=page_headers())


def _as_json(value: PrettySql) -> dict[str, Any]:
    return {"text": value.text, "reformatted": value.reformatted}


def pretty_plan(result_json: str, workload_json: str) -> dict[str, Any]:
    """The plan's statements and queries laid out; each query with its original, if known."""
    result = json.loads(result_json)
    originals = {q["queryid"]: q["query"] for q in json.loads(workload_json).get("queries", [])}
    queries = []
    for query in result.get("queries", []):
        original = originals.get(query["queryid"])
        queries.append(
            {
                "queryid": query["queryid"],
                "original": None if original is None else _as_json(pretty(original)),
                "rewritten": _as_json(pretty(query["query"])),
            }
        )
    return {
        "ddl": [_as_json(p) for p in pretty_all(s["statement"] for s in result.get("ddl", []))],
        "migrations": [_as_json(p) for p in pretty_all(s["statement"] for s in result.get("migrations", []))],
        "queries": queries,
    }


async def pretty_task(request: Request) -> JSONResponse:
    try:
        task_id = _parsed_task_id(request.path_params["task_id"])
        if task_id is None:
            raise ApiError(400, f"task id is not a UUID: {request.path_params['task_id'][:64]!r}")
        record: _Record | None = await request.app.state.service.get(task_id, viewer=request.state.principal)
        if record is None:
            raise ApiError(404, f"no task with id {task_id}")
        if record.status.value != "DONE" or record.result_json is None:
            raise ApiError(409, f"task is {record.status.value}: only a DONE task has a plan")
    except ApiError as exc:
        return exc.response()
    body = await run_in_threadpool(pretty_plan, record.result_json, record.workload_json)
    return JSONResponse({"taskid": str(task_id), **body})


routes = [
    Route("/", console_page, methods=["GET"]),
    Route("/tasks/{task_id}", console_page, methods=["GET"]),
    Route("/tasks/{task_id}/pretty.json", pretty_task, methods=["GET"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
