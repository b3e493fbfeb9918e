"""Every Redis key, channel and queue name lakeopt uses, in one place."""

from __future__ import annotations

import uuid

#: arq queue the API enqueues on and the worker drains.
QUEUE_NAME = "lakeopt:queue"

#: Name of the arq job function (``jobs.tasks.worker.optimize_task``).
OPTIMIZE_JOB = "optimize_task"

#: Prefix of the per-task pub/sub channel carrying progress events.
TASK_CHANNEL_PREFIX = "lakeopt:task:"

#: Prefix of the short-lived key that carries a task's JDBC secret to the worker.
TASK_SECRET_PREFIX = "lakeopt:secret:"  # noqa: S105 - a key prefix, not a password


def task_channel(task_id: uuid.UUID | str) -> str:
    """The pub/sub channel a task's progress events are published on."""
    return f"{TASK_CHANNEL_PREFIX}{task_id}"


def task_secret_key(task_id: uuid.UUID | str) -> str:
    """The Redis key holding a task's unredacted JDBC URL until the worker is done."""
    return f"{TASK_SECRET_PREFIX}{task_id}"
