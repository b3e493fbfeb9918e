"""Turning a client's payload into an accepted task, shared by REST and GraphQL."""

from __future__ import annotations

from typing import Any

from jobs.contract.workload import WorkloadError
from jobs.engine import PlanningError
from jobs.tasks.service import TaskService
from jobs.tasks.store import TaskRecord
from jobs.tasks.tokens import Principal


class SubmissionRefused(ValueError):
    """The payload was refused; ``error.problems`` names each bad field."""

    def __init__(self, error: WorkloadError) -> None:
        self.error = error
        super().__init__(f"invalid input: {error}")


async def submit_workload(service: TaskService, payload: Any, *, owner: Principal | None) -> TaskRecord:
    try:
        return await service.submit(payload, owner=owner)
    except PlanningError as exc:
        raise SubmissionRefused(WorkloadError([(exc.field, exc.reason)])) from None
    except WorkloadError as exc:
        raise SubmissionRefused(exc) from None
