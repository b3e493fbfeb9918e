"""The GraphQL schema: ``submitTask``, ``task(id)`` and the ``taskStatus(id)`` subscription."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from gql_app.graphql_guards import LakeoptSchema, guard_extensions, on_app_loop
from gql_app.graphql_types import (
    FieldError,
    InputError,
    ServiceUnavailable,
    SubmitTaskResult,
    Task,
    TaskEvent,
    TaskInput,
    TaskNotFound,
    TaskResult,
    TaskStatusResult,
)
from gql_app.submission import SubmissionRefused, submit_workload
from jobs.tasks.events import TaskEventHub
from jobs.tasks.service import QueueUnavailable, TaskService
from jobs.tasks.tokens import Principal

#: How often a subscriber re-reads the store when no event arrives (missed message safety net).
RESYNC_SECONDS = 5.0


def _service(info: Info[Any, Any]) -> TaskService:
    service: TaskService = info.context["service"]
    return service


def _viewer(info: Info[Any, Any]) -> Principal | None:
    """Who asks (``None``: the API is open). Missing only if a check was skipped: refuse then."""
    if "principal" not in info.context:
        raise PermissionError("the request was not authenticated")
    viewer: Principal | None = info.context["principal"]
    return viewer


def _not_found(task_id: uuid.UUID) -> TaskNotFound:
    return TaskNotFound(id=task_id, message=f"no task with id {task_id}")


@strawberry.type
class Query:
    @strawberry.field(description="A task by id.")
    async def task(self, info: Info[Any, Any], id: uuid.UUID) -> TaskResult:
        record = await on_app_loop(info, _service(info).get(id, viewer=_viewer(info)))
        return Task.from_record(record) if record else _not_found(id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Submit a workload; the task is RUNNING from this moment.")
    async def submit_task(self, info: Info[Any, Any], input: TaskInput) -> SubmitTaskResult:
        try:
            submitted = submit_workload(_service(info), input.to_dict(), owner=_viewer(info))
            record = await on_app_loop(info, submitted)
        except SubmissionRefused as exc:
            return InputError(message=str(exc), fields=[FieldError(field=f, message=m) for f, m in exc.error.problems])
        except QueueUnavailable as exc:
            return ServiceUnavailable(message=str(exc))
        info.context["metrics"].tasks_submitted.inc()
        return Task.from_record(record)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The task's current state, then every change; completes after DONE or FAILED.")
    async def task_status(
        self,
        info: Info[Any, Any],
        id: uuid.UUID,
    ) -> AsyncGenerator[TaskStatusResult, None]:
        service = _service(info)
        viewer = _viewer(info)
        hub: TaskEventHub = info.context["hub"]
        # Subscribe before reading the store so no event falls between the two.
        async with hub.subscribe(id) as queue:
            record = await service.get(id, viewer=viewer)
            if record is None:
                yield _not_found(id)
                return
            last_seq = record.seq
            yield TaskEvent.from_event(record.event())
            finished = record.finished
            while not finished:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=RESYNC_SECONDS)
                except TimeoutError:
                    fresh = await service.get(id, viewer=viewer)
                    if fresh is None or fresh.seq <= last_seq:
                        continue
                    event = fresh.event()
                if event["seq"] <= last_seq:
                    continue
                last_seq = event["seq"]
                finished = event["status"] != "RUNNING"
                yield TaskEvent.from_event(event)


def create_schema() -> strawberry.Schema:
    return LakeoptSchema(query=Query, mutation=Mutation, subscription=Subscription, extensions=guard_extensions())
