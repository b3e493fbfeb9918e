"""arq may run a job twice: a second run must not duplicate or corrupt anything."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix
from sqlalchemy import create_engine, update

from jobs.contract.workload import parse_workload
from jobs.settings import load_settings
from jobs.tasks.keys import QUEUE_NAME
from jobs.tasks.lease import LeaseLost, renewed_lease
from jobs.tasks.service import TaskService
from jobs.tasks.store import TaskRow, TaskStatus, TaskStore, utcnow
from jobs.tasks.sweeper import ENQUEUE_GRACE, arq_lock_seconds, sweep
from jobs.tasks.worker import optimize_task, sweep_overdue
from tests.conftest import load_workload

pytestmark = pytest.mark.redis


@pytest.fixture
async def context(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'tasks.db'}")
    monkeypatch.setenv("LAKEOPT_HOME", str(tmp_path))
    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    settings = load_settings()
    store = TaskStore.from_url(settings.database_url)
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    await redis.flushdb()
    yield {"store": store, "redis": redis, "settings": settings, "service": TaskService(store, redis, settings)}
    await redis.aclose()
    store.close()


async def test_second_run_of_a_finished_task_changes_nothing(context: dict[str, Any]) -> None:
    workload = parse_workload({k: v for k, v in load_workload("tpcds.json").items() if k != "url"})
    record = await context["service"].submit(workload, owner=None)
    assert await optimize_task(context, str(record.id)) == "DONE"
    done = await context["store"].get(record.id)
    assert await optimize_task(context, str(record.id)) == "DONE"
    again = await context["store"].get(record.id)
    assert again == done, "a rerun of a finished task must not touch it"
    result = json.loads(again.result_json)
    assert [q["queryid"] for q in result["queries"]] == [q.queryid for q in workload.queries]


async def test_rerun_of_an_interrupted_task_finishes_it_once(context: dict[str, Any]) -> None:
    workload = parse_workload({k: v for k, v in load_workload("flights.json").items() if k != "url"})
    record = await context["service"].submit(workload, owner=None)
    store: TaskStore = context["store"]
    # A first attempt that died half-way: attempts=1, stage mid-pipeline, no result.
    await store.start_attempt(record.id)
    await store.set_progress(record.id, stage="optimize", progress=0.5)
    assert await optimize_task(context, str(record.id)) == "DONE"
    finished = await store.get(record.id)
    assert finished is not None and finished.attempts == 2 and finished.status is TaskStatus.DONE
    assert len(json.loads(finished.result_json or "")["queries"]) == len(workload.queries)


async def test_job_for_unknown_task_is_ignored(context: dict[str, Any]) -> None:
    assert await optimize_task(context, str(uuid.uuid4())) == "UNKNOWN"


async def test_overdue_task_is_failed_by_the_sweep(context: dict[str, Any]) -> None:
    store: TaskStore = context["store"]
    task_id = uuid.uuid4()
    await store.create(task_id, workload_json="{}", url_redacted=None, time_limit=-1)
    assert await sweep_overdue(context) == 1
    record = await store.get(task_id)
    assert record is not None and record.status is TaskStatus.FAILED and "time limit" in (record.error or "")
    assert await optimize_task(context, str(task_id)) == "FAILED", "a late job must not reopen it"


async def test_attempt_that_lost_its_lease_is_stopped_and_writes_nothing(context: dict[str, Any]) -> None:
    store: TaskStore = context["store"]
    task_id = uuid.uuid4()
    await store.create(task_id, workload_json="{}", url_redacted=None, time_limit=60)
    first = await store.start_attempt(task_id, lease_seconds=0.3)
    assert first is not None and first.attempts == 1
    # The first worker stalls; its lease lapses and the sweep hands the task to a second attempt.
    assert await store.release_lapsed(task_id, 1, now=utcnow() + dt.timedelta(seconds=1)) is not None
    second = await store.start_attempt(task_id, lease_seconds=30)
    assert second is not None and second.attempts == 2 and second.lost_attempts == 1
    with pytest.raises(LeaseLost):
        async with renewed_lease(store, task_id, 1, seconds=0.3):
            await asyncio.sleep(5)
    assert await store.complete(task_id, result_json="{}", report_json="{}", attempt=1) is None
    assert await store.renew_lease(task_id, 2, lease_seconds=30)
    done = await store.complete(task_id, result_json='{"ok": 1}', report_json="{}", attempt=2)
    assert done is not None and done.status is TaskStatus.DONE and done.result_json == '{"ok": 1}'


async def test_job_taken_by_a_worker_that_died_before_starting_it_is_queued_again(context: dict[str, Any]) -> None:
    service: TaskService = context["service"]
    settings = context["settings"]
    workload = parse_workload({k: v for k, v in load_workload("flights.json").items() if k != "url"})
    record = await service.submit(workload, owner=None)
    lock = in_progress_key_prefix + str(record.id)
    # arq's lock as a worker would have set it lease_seconds + 1 ago, with no attempt started since.
    remaining = arq_lock_seconds(settings) - settings.lease_seconds - 1
    await context["redis"].psetex(lock, int(remaining * 1000), b"1")
    assert (await sweep(context["store"], context["redis"], settings)).requeued == 0, "just accepted: left alone"
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(update(TaskRow).values(updated_at=utcnow() - dt.timedelta(seconds=ENQUEUE_GRACE + 1)))
    engine.dispose()
    assert (await sweep(context["store"], context["redis"], settings)).requeued == 1
    assert not await context["redis"].exists(lock)
    assert await context["redis"].zscore(QUEUE_NAME, str(record.id)) is not None
