"""Handing a task's JDBC URLs (with their passwords) to the worker without storing them.

The task store only ever holds redacted URLs. The full ones wait in a Redis key that expires
with the task's time limit and is deleted as soon as the task finishes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from jobs.tasks.keys import task_secret_key


@dataclass(frozen=True)
class TaskUrls:
    #: The database to profile (read-only).
    url: str | None = None
    #: A writable Trino to verify the plan on.
    verify_url: str | None = None


async def put_task_urls(redis: Redis, task_id: uuid.UUID, urls: TaskUrls, *, ttl_seconds: float) -> None:
    await redis.set(task_secret_key(task_id), json.dumps(asdict(urls)), px=max(1000, int(ttl_seconds * 1000)))


async def get_task_urls(redis: Redis, task_id: uuid.UUID) -> TaskUrls:
    """The task's URLs; empty when none were given or the key expired."""
    value = await redis.get(task_secret_key(task_id))
    if value is None:
        return TaskUrls()
    data = json.loads(value)
    return TaskUrls(url=data.get("url"), verify_url=data.get("verify_url"))


async def drop_task_urls(redis: Redis, task_id: uuid.UUID) -> None:
    await redis.delete(task_secret_key(task_id))
