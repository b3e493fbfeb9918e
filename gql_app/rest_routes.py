"""The REST routes existing clients speak (see the contract): /new, /status, /getresult; and /report,
the task's report (recommendation cards, the Markdown report), which /getresult leaves out to keep
the contract's exact shape.

Domain errors map to status codes: 400 missing/malformed task id, 401 no valid token (answered by
gql_app.auth), 404 unknown task, 409 not ready or failed, 413 body too large, 422 invalid
workload, 503 queue unavailable.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gql_app.request_body import BodyError, decode_json
from gql_app.submission import SubmissionRefused, submit_workload
from jobs.contract.result import PlanResult, TaskReport
from jobs.engine.report_markdown import render_markdown
from jobs.sql.jdbc_url import redact_url
from jobs.tasks.service import QueueUnavailable, TaskService
from jobs.tasks.store import TaskRecord, TaskStatus


class ApiError(Exception):
    def __init__(self, status_code: int, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.fields = fields or []

    def response(self) -> JSONResponse:
        # Messages may quote the input: every one goes through the one redaction.
        body: dict[str, Any] = {"error": redact_url(self.message)}
        if self.fields:
            body["fields"] = [{k: redact_url(v) for k, v in field.items()} for field in self.fields]
        return JSONResponse(body, status_code=self.status_code)


def _service(request: Request) -> TaskService:
    service: TaskService = request.app.state.service
    return service


def _task_id(request: Request) -> uuid.UUID:
    """The id from ``task_id=``, ``taskid=`` or a bare ``?<uuid>`` query string."""
    params = request.query_params
    raw = params.get("task_id") or params.get("taskid")
    if raw is None:
        bare = request.url.query.strip()
        if bare and "=" not in bare and "&" not in bare:
            raw = bare
    if not raw:
        raise ApiError(400, "missing task id: pass ?task_id=<uuid>")
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise ApiError(400, f"task id is not a UUID: {raw[:64]!r}") from None


async def _existing(request: Request) -> TaskRecord:
    task_id = _task_id(request)
    record = await _service(request).get(task_id, viewer=request.state.principal)
    if record is None:
        raise ApiError(404, f"no task with id {task_id}")
    return record


async def new_task(request: Request) -> JSONResponse:
    try:
        body = await request.body()  # bounded by BodyLimitMiddleware
        if not body.strip():
            raise ApiError(422, "empty body: send the workload as JSON")
        try:
            payload = await asyncio.to_thread(decode_json, body)
        except BodyError as exc:
            raise ApiError(exc.status_code, str(exc)) from None
        record = await submit_workload(_service(request), payload, owner=request.state.principal)
    except ApiError as exc:
        return exc.response()
    except SubmissionRefused as exc:
        fields = [{"field": field, "message": message} for field, message in exc.error.problems]
        return ApiError(422, str(exc), fields).response()
    except QueueUnavailable as exc:
        return ApiError(503, str(exc)).response()
    request.app.state.metrics.tasks_submitted.inc()
    return JSONResponse({"taskid": str(record.id)})


async def task_status(request: Request) -> JSONResponse:
    try:
        record = await _existing(request)
    except ApiError as exc:
        return exc.response()
    return JSONResponse({"status": record.status.value})


async def _done(request: Request) -> tuple[TaskRecord, str]:
    """The DONE task and its result JSON, or 400/404/409."""
    record = await _existing(request)
    if record.status is TaskStatus.RUNNING:
        raise ApiError(409, f"task is still RUNNING (stage {record.stage}, {record.progress:.0%})")
    if record.status is TaskStatus.FAILED or record.result_json is None:
        raise ApiError(409, f"task FAILED: {record.error or 'no result'}")
    return record, record.result_json


async def task_result(request: Request) -> JSONResponse:
    try:
        _, result_json = await _done(request)
    except ApiError as exc:
        return exc.response()
    return JSONResponse(json.loads(result_json))


async def task_report(request: Request) -> JSONResponse:
    try:
        record, result_json = await _done(request)
    except ApiError as exc:
        return exc.response()
    report = TaskReport.model_validate_json(record.report_json or "{}")
    if report.markdown is None:  # planned before the report had one
        report.markdown = render_markdown(report, PlanResult.model_validate_json(result_json))
    return JSONResponse(report.model_dump(mode="json"))


routes = [
    Route("/new", new_task, methods=["POST"]),
    Route("/status", task_status, methods=["GET"]),
    Route("/getresult", task_result, methods=["GET"]),
    Route("/report", task_report, methods=["GET"]),
]
