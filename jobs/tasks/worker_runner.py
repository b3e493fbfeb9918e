"""Running a worker for good: arq, restarted with backoff whenever Redis goes away, and the sweep.

arq's worker loop ends at the first Redis error, so on its own a worker exits when Redis
restarts. The runner waits for Redis with exponential backoff (reporting not ready meanwhile),
then starts arq's loop again on the same worker: jobs already running carry on, and the
connection pool reconnects by itself. The sweep (:mod:`jobs.tasks.sweeper`) runs on its own
timer beside it, so it also works while arq's loop is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jobs.settings import Settings
from jobs.tasks.keys import QUEUE_NAME
from jobs.tasks.store import TaskStore
from jobs.tasks.sweeper import sweep
from jobs.tasks.worker import create_worker

log = logging.getLogger(__name__)

#: What a lost or restarting Redis raises (BusyLoadingError, while it loads, is a ConnectionError).
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

#: First wait before trying Redis again, seconds; doubles up to ``settings.redis_reconnect_max``.
FIRST_BACKOFF = 0.25

#: Seconds a stopping worker gives its cancelled jobs to hand themselves back to the queue.
CLOSE_TIMEOUT = 10.0

#: Seconds between two cancels of a task that has not ended yet.
CANCEL_INTERVAL = 0.5


@dataclass
class WorkerHealth:
    """Whether the worker is taking jobs, for ``/readyz``."""

    ready: bool = False
    detail: str = "starting"
    changed_at: float = field(default_factory=time.monotonic)

    def set(self, ready: bool, detail: str) -> None:
        if (ready, detail) != (self.ready, self.detail):
            self.ready, self.detail, self.changed_at = ready, detail, time.monotonic()


def create_redis(redis_url: str) -> ArqRedis:
    """A pool that connects on first use (a worker may start before Redis does)."""
    pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
    return ArqRedis(pool, default_queue_name=QUEUE_NAME)


async def cancel_until_done(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` again and again until it ends.

    One cancel is not enough: a cancel that lands while a redis-py timeout expires is swallowed
    (asyncio.timeout on Python 3.11), and arq's loop then polls on as if nothing happened.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_INTERVAL)
    if not task.cancelled() and task.exception() is not None:
        log.warning("%s ended with %r while stopping", task.get_name(), task.exception())


class WorkerRunner:
    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.settings = settings
        self.health = WorkerHealth()
        self.redis = create_redis(redis_url)
        self.store = TaskStore.from_url(settings.database_url)
        self.worker = create_worker(settings, self.redis, self.store)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return (safe from a signal handler on the loop)."""
        self._stop.set()

    async def run(self) -> None:
        """Run until :meth:`stop`; running jobs are cancelled and handed back to the queue."""
        arq_loop = asyncio.create_task(self._run_arq())
        sweeper = asyncio.create_task(self._sweep_forever())
        stopped = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({arq_loop, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (arq_loop, sweeper, stopped):
                await cancel_until_done(task)
            await self._close()

    async def _wait_for_redis(self) -> None:
        delay = FIRST_BACKOFF
        while True:
            try:
                await self.redis.ping()
                return
            except REDIS_DOWN as exc:
                self.health.set(False, f"Redis unreachable ({type(exc).__name__}); retrying")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.redis_reconnect_max)

    async def _run_arq(self) -> None:
        while not self._stop.is_set():
            await self._wait_for_redis()
            self.health.set(True, "ok")
            try:
                await self.worker.async_run()
                return
            except REDIS_DOWN as exc:
                self.health.set(False, f"lost Redis ({type(exc).__name__}); reconnecting")
                log.warning("lost the connection to Redis (%s); reconnecting with backoff", exc)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                counts = await sweep(self.store, self.redis, self.settings)
                if counts.total:
                    log.info("sweep: %s", counts)
            except REDIS_DOWN as exc:
                log.debug("sweep skipped, Redis unreachable: %s", exc)
            except Exception:  # the next sweep tries again; a sweep must never end the worker
                log.exception("sweep failed")
            await asyncio.sleep(self.settings.sweep_interval)

    async def _close(self) -> None:
        try:
            # Cancels running jobs (arq puts them back in the queue) and closes the pool.
            await asyncio.wait_for(self.worker.close(), CLOSE_TIMEOUT)
        except (TimeoutError, *REDIS_DOWN) as exc:
            log.warning("worker stopped without handing its jobs back (%s); the sweep will", type(exc).__name__)
            with contextlib.suppress(Exception):
                await self.redis.aclose(close_connection_pool=True)
        self.store.close()
