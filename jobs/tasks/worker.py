"""The arq job: ``optimize_task``, keyed by task id (the sweep and the runner are beside it).

Idempotent by construction: a job for a finished task returns at once, and a rerun of an
interrupted one (the sweep hands it on once the dead worker's lease lapses) starts the pipeline
again and writes the result in a single transaction, so nothing is duplicated or half-written.
Every write of a run is fenced by its attempt number: a run that lost its lease writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from arq import func
from arq.connections import ArqRedis
from arq.worker import Worker

from jobs.contract.workload import WorkloadError, parse_workload_json
from jobs.settings import Settings
from jobs.tasks.events import publish_event
from jobs.tasks.keys import OPTIMIZE_JOB, QUEUE_NAME
from jobs.tasks.lease import LeaseLost, renewed_lease
from jobs.tasks.log_redaction import install_log_redaction
from jobs.tasks.pipeline import PipelineOutcome, run_pipeline
from jobs.tasks.secrets import drop_task_urls, get_task_urls, secret_cipher
from jobs.tasks.stages import Stage
from jobs.tasks.store import TaskRecord, TaskStore, utcnow
from jobs.tasks.sweeper import job_timeout, sweep

log = logging.getLogger(__name__)

#: arq's own try limit, kept out of the way: the sweep counts lost runs (``max_attempts``), and
#: arq counts every pick, graceful shutdowns included.
ARQ_MAX_TRIES = 1000


def _failure_reason(exc: BaseException, stage: Stage) -> str:
    from jobs.engine import PlanningError
    from jobs.tasks.pipeline import PlanInvalid

    if isinstance(exc, PlanningError | PlanInvalid | WorkloadError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"time limit exceeded during stage '{stage}'"
    return f"internal error during stage '{stage}' ({type(exc).__name__})"


async def optimize_task(ctx: dict[str, Any], task_id: str) -> str:
    """Plan one task. Returns the final status (arq keeps it as the job result)."""
    store: TaskStore = ctx["store"]
    settings: Settings = ctx["settings"]
    redis = ctx["redis"]
    tid = uuid.UUID(task_id)

    async def emit(record: TaskRecord | None) -> None:
        if record is not None:
            await publish_event(redis, record)

    existing = await store.get(tid)
    if existing is None:
        log.warning("job for unknown task %s ignored", tid)
        return "UNKNOWN"
    if existing.finished:
        return existing.status.value
    remaining = (existing.deadline_at - utcnow()).total_seconds()
    if remaining <= 0:
        await emit(await store.fail(tid, "time limit exceeded before the task could start"))
        await drop_task_urls(redis, tid)
        return "FAILED"

    started = await store.start_attempt(tid, lease_seconds=settings.lease_seconds)
    if started is None:
        return existing.status.value
    await emit(started)
    attempt = started.attempts
    stage = Stage.STARTING

    async def progress(new_stage: Stage, fraction: float, message: str) -> None:
        nonlocal stage
        stage = new_stage
        await emit(await store.set_progress(tid, stage=new_stage, progress=fraction, message=message, attempt=attempt))

    outcome: PipelineOutcome | None = None
    try:
        urls = await get_task_urls(redis, secret_cipher(settings), tid)
        # The engine reads the session catalog/schema from the URL; the redacted form keeps them.
        workload = parse_workload_json(existing.workload_json).model_copy(
            update={"url": urls.url or existing.url_redacted}
        )
        async with (
            renewed_lease(store, tid, attempt, seconds=settings.lease_seconds),
            asyncio.timeout(remaining),
        ):
            outcome = await run_pipeline(
                workload,
                url=urls.url,
                verify_url=urls.verify_url,
                settings=settings,
                progress=progress,
                deadline=time.monotonic() + remaining,
            )
    except asyncio.CancelledError:
        raise  # arq cancelled the job (shutdown or its own timeout): a retry or the sweep finishes it
    except LeaseLost:
        # Another worker runs the task now (or it finished): leave everything to that attempt.
        log.warning("task %s: attempt %d was handed on while it ran; stopped", tid, attempt)
        return "SUPERSEDED"
    except Exception as exc:
        reason = _failure_reason(exc, stage)
        if reason.startswith("internal error"):
            log.exception("task %s failed in stage %s", tid, stage)
        await emit(await store.fail(tid, reason, attempt=attempt))
    else:
        if outcome.profile is not None:
            await store.set_profile(tid, outcome.profile.model_dump_json(), attempt=attempt)
        await emit(
            await store.complete(
                tid,
                result_json=outcome.result.model_dump_json(),
                report_json=outcome.report.model_dump_json(),
                attempt=attempt,
            )
        )
    await drop_task_urls(redis, tid)
    final = await store.get(tid)
    return final.status.value if final else "UNKNOWN"


async def sweep_overdue(ctx: dict[str, Any]) -> int:
    """One sweep (see :mod:`jobs.tasks.sweeper`) with a worker's context; returns what it changed."""
    counts = await sweep(ctx["store"], ctx["redis"], ctx["settings"])
    return counts.total


def worker_settings(settings: Settings, redis: ArqRedis, store: TaskStore) -> dict[str, Any]:
    """Keyword arguments for :class:`arq.worker.Worker` built from ``settings``."""
    return {
        "functions": [func(optimize_task, name=OPTIMIZE_JOB, max_tries=ARQ_MAX_TRIES)],
        "queue_name": QUEUE_NAME,
        "redis_pool": redis,
        # arq's own limit backs up the pipeline's: a hung job is cancelled a little after the task's.
        "job_timeout": job_timeout(settings),
        "keep_result": 3600,
        "max_jobs": 4,
        "ctx": {"settings": settings, "store": store},
    }


def create_worker(settings: Settings, redis: ArqRedis, store: TaskStore) -> Worker:
    """An arq worker on ``redis``; signals are the runner's (:mod:`jobs.tasks.worker_runner`)."""
    install_log_redaction()
    return Worker(handle_signals=False, **worker_settings(settings, redis, store))
