"""Submitting and reading tasks: the one place the API side touches the store and the queue.

Order matters for "never lost or half-written": the store row is written first (it is the
source of truth), then the secret and the job go to Redis; if Redis refuses, the row is marked
FAILED with the reason instead of being left RUNNING with no job behind it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis

from jobs.contract.workload import Workload, WorkloadError, parse_workload
from jobs.settings import Settings
from jobs.sql.jdbc_url import JdbcUrlError, parse_jdbc_url, redact_url
from jobs.tasks.cpu_pool import CpuPool
from jobs.tasks.events import publish_event
from jobs.tasks.keys import OPTIMIZE_JOB, QUEUE_NAME
from jobs.tasks.secrets import TaskUrls, put_task_urls, secret_cipher
from jobs.tasks.store import TaskRecord, TaskStatus, TaskStore, utcnow
from jobs.tasks.tokens import Principal


class QueueUnavailable(RuntimeError):
    """Redis refused the job; the task was recorded as FAILED with this reason."""


def _redacted(field: str, url: str | None) -> str | None:
    """``url`` with its password replaced; a malformed URL is an error of ``field``."""
    if url is None:
        return None
    try:
        # Through the one redaction too: a user name may hold 'password=' (e.g. an encoded '&').
        return redact_url(parse_jdbc_url(url).redacted())
    except JdbcUrlError as exc:
        raise WorkloadError([(field, str(exc))]) from None


def redacted_url(workload: Workload) -> str | None:
    """The workload's URL with its password replaced (the verification URL is checked too)."""
    if workload.verify_url is not None:
        redacted_verify = _redacted("verify_url", workload.verify_url)
        if not (redacted_verify or "").startswith("jdbc:trino:"):
            raise WorkloadError([("verify_url", "verification runs on Trino: give a jdbc:trino:// URL")])
    return _redacted("url", workload.url)


def stored_workload_json(workload: Workload) -> str:
    """The workload as kept in the store: everything but the URLs (which may carry secrets)."""
    return json.dumps(workload.model_dump(mode="json", exclude={"url", "verify_url"}))


@dataclass(frozen=True)
class CheckedWorkload:
    """What the service keeps of an accepted workload (small to send back from a pool process)."""

    url: str | None
    verify_url: str | None
    url_redacted: str | None
    workload_json: str


def check_workload(payload: Workload | Any) -> CheckedWorkload:
    """Validate ``payload`` (a workload or its JSON value) and parse its DDL.

    Raises :class:`WorkloadError` or :class:`jobs.engine.PlanningError` naming the bad field.
    """
    from jobs.engine import check_ddl  # the engine is heavy to import; keep API start-up light

    workload = payload if isinstance(payload, Workload) else parse_workload(payload)
    check_ddl(workload)
    return CheckedWorkload(workload.url, workload.verify_url, redacted_url(workload), stored_workload_json(workload))


class TaskService:
    def __init__(self, store: TaskStore, redis: ArqRedis, settings: Settings, cpu: CpuPool | None = None) -> None:
        """Without ``cpu`` (tests, scripts) the checks of a submission run in a thread."""
        self.store = store
        self.redis = redis
        self.settings = settings
        self.cipher = secret_cipher(settings)
        self.cpu = cpu

    async def submit(self, payload: Workload | Any, *, owner: Principal | None) -> TaskRecord:
        """Accept a workload (or its JSON value): RUNNING from this moment on, owned by ``owner``'s
        token. Raises :class:`WorkloadError` or :class:`jobs.engine.PlanningError` when it is bad."""
        # Validating and parsing every DDL statement is CPU work: never on the event loop.
        if self.cpu is not None:
            checked = await self.cpu.run(check_workload, payload)
        else:
            checked = await asyncio.to_thread(check_workload, payload)
        task_id = uuid.uuid4()
        record = await self.store.create(
            task_id,
            workload_json=checked.workload_json,
            url_redacted=checked.url_redacted,
            time_limit=self.settings.task_time_limit,
            owner=owner.token_id if owner else None,
        )
        try:
            if checked.url is not None or checked.verify_url is not None:
                urls = TaskUrls(url=checked.url, verify_url=checked.verify_url)
                ttl = self.settings.task_time_limit + 60
                await put_task_urls(self.redis, self.cipher, task_id, urls, ttl_seconds=ttl)
            job = await self.redis.enqueue_job(OPTIMIZE_JOB, str(task_id), _job_id=str(task_id), _queue_name=QUEUE_NAME)
            if job is None:  # arq refuses a duplicate id; a fresh uuid4 never is one
                raise RuntimeError("the queue already holds a job with this id")
        except Exception as exc:
            failed = await self.store.fail(task_id, f"could not queue the task: {type(exc).__name__}")
            if failed is not None:
                record = failed
            raise QueueUnavailable("the task queue is unavailable; the task was not started") from exc
        await publish_event(self.redis, record)
        return record

    async def get(self, task_id: uuid.UUID, *, viewer: Principal | None) -> TaskRecord | None:
        """The task as stored, if ``viewer`` may see it; a RUNNING task past its deadline is failed
        on the spot. ``viewer`` is ``None`` only when the API runs without tokens (every task is
        visible); a token sees the tasks it created, and another token's task is "no such task"."""
        record = await self.store.get(task_id)
        if record is None or (viewer is not None and record.owner != viewer.token_id):
            return None
        if record.status is TaskStatus.RUNNING and utcnow() > record.deadline_at:
            await self.expire_overdue()
            record = await self.store.get(task_id)
        return record

    async def expire_overdue(self) -> int:
        expired = await self.store.expire_overdue()
        for record in expired:
            await publish_event(self.redis, record)
        return len(expired)
