"""Live task events over Redis pub/sub: the worker publishes, API processes fan them out.

An event is the task's state after a store write (see ``TaskRecord.event``), so a subscriber can
always drop what it has already seen by comparing ``seq``. One pub/sub connection per API process
(:class:`TaskEventHub`) serves any number of subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from jobs.tasks.keys import TASK_CHANNEL_PREFIX, task_channel
from jobs.tasks.store import TaskRecord

log = logging.getLogger(__name__)

Event = dict[str, Any]


async def publish_event(redis: Redis, record: TaskRecord) -> None:
    """Publish ``record``'s state on its task channel; Redis trouble never fails the task."""
    try:
        event = {**record.event(), "published_at": time.time()}
        await redis.publish(task_channel(record.id), json.dumps(event))
    except Exception as exc:  # the store already holds the state; readers poll it
        log.warning("could not publish event for task %s: %s", record.id, exc)


class TaskEventHub:
    """Fans events from one pattern subscription out to per-task asyncio queues."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="lakeopt-task-event-hub")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

    async def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(f"{TASK_CHANNEL_PREFIX}*")
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # reconnect; subscribers fall back on the store meanwhile
                log.warning("task event subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, data: bytes | str) -> None:
        try:
            event = json.loads(data)
            queues = self._queues.get(event["task_id"], ())
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed task event")
            return
        for queue in queues:
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, task_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue receiving every event of ``task_id`` published while the context is open."""
        key = str(task_id)
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._queues[key].add(queue)
        try:
            yield queue
        finally:
            self._queues[key].discard(queue)
            if not self._queues[key]:
                del self._queues[key]
