"""Handing a task's JDBC URL (with its password) to the worker without storing it.

The task store only ever holds the redacted URL. The full URL waits in a Redis key that expires
with the task's time limit and is deleted as soon as the task finishes.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from jobs.constants import task_secret_key


async def put_task_url(redis: Redis, task_id: uuid.UUID, url: str, *, ttl_seconds: float) -> None:
    await redis.set(task_secret_key(task_id), url.encode(), px=max(1000, int(ttl_seconds * 1000)))


async def get_task_url(redis: Redis, task_id: uuid.UUID) -> str | None:
    value = await redis.get(task_secret_key(task_id))
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


async def drop_task_url(redis: Redis, task_id: uuid.UUID) -> None:
    await redis.delete(task_secret_key(task_id))
