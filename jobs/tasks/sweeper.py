"""The sweep every worker runs: nothing lost, nothing stuck.

The task store is the source of truth; Redis only carries the queue. Each sweep

- hands a task whose worker stopped renewing its lease (died, hung) back to the queue, under its
  own job id (= task id), or FAILs it once ``max_attempts`` runs were lost that way;
- re-enqueues a task the store says is waiting but Redis no longer holds (Redis restarted or
  lost data);
- FAILs tasks past their deadline.

Sweeps may run on several workers at once: a lapsed lease is taken back by one conditional
store update, so only one sweeper acts on it, and re-enqueueing an id already queued is a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix

from jobs.settings import Settings
from jobs.tasks.events import publish_event
from jobs.tasks.keys import OPTIMIZE_JOB, QUEUE_NAME
from jobs.tasks.store import TaskRecord, TaskStore, utcnow

log = logging.getLogger(__name__)

#: Seconds the API may take between writing a task to the store and enqueueing its job.
ENQUEUE_GRACE = 5.0


def job_timeout(settings: Settings) -> float:
    """arq's limit on one job: a little after the task's own, so the pipeline's fires first."""
    return settings.task_time_limit + 15


def arq_lock_seconds(settings: Settings) -> float:
    """How long arq's in-progress lock on a picked job lives (arq adds 10 s to the job timeout)."""
    return job_timeout(settings) + 10


@dataclass(frozen=True)
class SweepCounts:
    handed_back: int = 0
    gave_up: int = 0
    requeued: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.handed_back + self.gave_up + self.requeued + self.expired


async def _drop_job(redis: ArqRedis, job_id: str) -> None:
    """Forget arq's state for ``job_id`` (the queue entry, the job, a dead worker's lock, results)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrem(QUEUE_NAME, job_id)
        pipe.delete(
            in_progress_key_prefix + job_id,
            job_key_prefix + job_id,
            result_key_prefix + job_id,
            retry_key_prefix + job_id,
        )
        await pipe.execute()


async def ensure_queued(redis: ArqRedis, task_id: uuid.UUID) -> bool:
    """Queue the task's job unless the queue holds it already; True when it had to be queued."""
    job_id = str(task_id)
    if await redis.zscore(QUEUE_NAME, job_id) is not None:
        return False
    # A job key or result left without a queue entry would make arq refuse the same id again.
    await _drop_job(redis, job_id)
    job = await redis.enqueue_job(OPTIMIZE_JOB, job_id, _job_id=job_id, _queue_name=QUEUE_NAME)
    return job is not None


async def _hand_back(redis: ArqRedis, task_id: uuid.UUID) -> None:
    # The dead worker's arq lock would keep the job from running again for the whole task limit.
    await redis.delete(in_progress_key_prefix + str(task_id))
    await ensure_queued(redis, task_id)


def _gave_up_reason(record: TaskRecord, lost: int) -> str:
    return (
        f"the worker running this task stopped responding {lost} times "
        f"(last during stage '{record.stage}'); not retried again"
    )


async def _sweep_lapsed(store: TaskStore, redis: ArqRedis, settings: Settings) -> tuple[int, int]:
    handed_back = gave_up = 0
    for lapsed in await store.lapsed_leases():
        released = await store.release_lapsed(lapsed.id, lapsed.attempts)
        if released is None:  # renewed meanwhile, finished, or another sweeper took it
            continue
        if released.lost_attempts >= settings.max_attempts:
            failed = await store.fail(lapsed.id, _gave_up_reason(lapsed, released.lost_attempts))
            await _drop_job(redis, str(lapsed.id))
            if failed is not None:
                await publish_event(redis, failed)
            gave_up += 1
            continue
        log.warning(
            "task %s: the worker of attempt %d stopped renewing its lease in stage %s; queued again",
            lapsed.id,
            lapsed.attempts,
            lapsed.stage,
        )
        await _hand_back(redis, lapsed.id)
        await publish_event(redis, released)
        handed_back += 1
    return handed_back, gave_up


async def _picked_by_a_dead_worker(redis: ArqRedis, task_id: uuid.UUID, settings: Settings) -> bool:
    """A worker took the job (arq's lock) but never started the attempt: it died in between."""
    lock_ms = int(await redis.pttl(in_progress_key_prefix + str(task_id)))
    if lock_ms <= 0:
        return False
    held_for = arq_lock_seconds(settings) - lock_ms / 1000
    return held_for > settings.lease_seconds


async def _sweep_unheld(store: TaskStore, redis: ArqRedis, settings: Settings) -> int:
    # A task accepted moments ago may not be enqueued yet: the API writes the store first.
    accepted_before = utcnow() - dt.timedelta(seconds=ENQUEUE_GRACE)
    requeued = 0
    for record in await store.unheld(accepted_before):
        if await _picked_by_a_dead_worker(redis, record.id, settings):
            log.warning("task %s: the worker that took its job died before starting it; queued again", record.id)
            await _hand_back(redis, record.id)
            requeued += 1
        elif await ensure_queued(redis, record.id):
            log.warning("task %s was accepted but Redis no longer held its job; queued again", record.id)
            requeued += 1
    return requeued


async def sweep(store: TaskStore, redis: ArqRedis, settings: Settings) -> SweepCounts:
    """One sweep; returns what it changed."""
    handed_back, gave_up = await _sweep_lapsed(store, redis, settings)
    requeued = await _sweep_unheld(store, redis, settings)
    expired = await store.expire_overdue()
    for record in expired:
        await publish_event(redis, record)
    return SweepCounts(handed_back=handed_back, gave_up=gave_up, requeued=requeued, expired=len(expired))
