"""The arq worker: runs ``optimize_task`` jobs, keyed by task id, and sweeps overdue tasks.

Idempotent by construction: a job for a finished task returns at once, and a rerun of an
interrupted one (arq retries after a worker dies) starts the pipeline again and writes the result
in a single transaction, so nothing is duplicated or half-written.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs.contract.workload import WorkloadError, parse_workload_json
from jobs.settings import Settings, get_settings
from jobs.tasks.events import publish_event
from jobs.tasks.keys import OPTIMIZE_JOB, QUEUE_NAME
from jobs.tasks.log_redaction import install_log_redaction
from jobs.tasks.pipeline import PipelineOutcome, run_pipeline
from jobs.tasks.secrets import drop_task_urls, get_task_urls, secret_cipher
from jobs.tasks.stages import Stage
from jobs.tasks.store import TaskRecord, TaskStore, utcnow

log = logging.getLogger(__name__)

#: Retries after a worker died mid-job (arq re-queues once the in-progress lock expires).
MAX_TRIES = 3


async def on_startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.setdefault("settings", get_settings())
    ctx["store"] = TaskStore.from_url(settings.database_url)


async def on_shutdown(ctx: dict[str, Any]) -> None:
    store: TaskStore | None = ctx.get("store")
    if store is not None:
        store.close()


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

    await emit(await store.start_attempt(tid))
    stage = Stage.STARTING

    async def progress(new_stage: Stage, fraction: float, message: str) -> None:
        nonlocal stage
        stage = new_stage
        await emit(await store.set_progress(tid, stage=new_stage, progress=fraction, message=message))

    outcome: PipelineOutcome | None = None
    try:
        urls = await get_task_urls(redis, secret_cipher(settings), tid)
        # The engine reads the session catalog/schema from the URL; the redacted form keeps them.
        workload = parse_workload_json(existing.workload_json).model_copy(
            update={"url": urls.url or existing.url_redacted}
        )
        async with asyncio.timeout(remaining):
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
    except Exception as exc:
        reason = _failure_reason(exc, stage)
        if reason.startswith("internal error"):
            log.exception("task %s failed in stage %s", tid, stage)
        await emit(await store.fail(tid, reason))
    else:
        if outcome.profile is not None:
            await store.set_profile(tid, outcome.profile.model_dump_json())
        await emit(
            await store.complete(
                tid, result_json=outcome.result.model_dump_json(), report_json=outcome.report.model_dump_json()
            )
        )
    await drop_task_urls(redis, tid)
    final = await store.get(tid)
    return final.status.value if final else "UNKNOWN"


async def sweep_overdue(ctx: dict[str, Any]) -> int:
    """Fail tasks whose worker died or hung past their deadline, and tell their subscribers."""
    store: TaskStore = ctx["store"]
    expired = await store.expire_overdue()
    for record in expired:
        await publish_event(ctx["redis"], record)
    return len(expired)


def worker_settings(settings: Settings, redis_url: str) -> dict[str, Any]:
    """Keyword arguments for :class:`arq.worker.Worker` built from ``settings``."""
    return {
        "functions": [func(optimize_task, name=OPTIMIZE_JOB, max_tries=MAX_TRIES)],
        "cron_jobs": [cron(sweep_overdue, second={0, 10, 20, 30, 40, 50}, run_at_startup=True)],
        "queue_name": QUEUE_NAME,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        # arq's own limit backs up the pipeline's: a hung job is cancelled a little after the task's.
        "job_timeout": settings.task_time_limit + 15,
        "keep_result": 3600,
        "max_jobs": 4,
        "ctx": {"settings": settings},
    }


def create_worker(settings: Settings, redis_url: str, *, handle_signals: bool = True) -> Worker:
    install_log_redaction()
    return Worker(handle_signals=handle_signals, **worker_settings(settings, redis_url))
