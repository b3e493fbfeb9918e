"""A stopping worker ends even when arq's loop swallows the first cancel."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from jobs.settings import load_settings
from jobs.tasks.worker_runner import WorkerRunner

pytestmark = [
    pytest.mark.redis,
    # arq 0.26's Worker.close calls redis-py's deprecated close(); the runner cannot avoid it.
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]


async def test_stop_ends_the_runner_when_a_cancel_is_swallowed(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'tasks.db'}")
    monkeypatch.setenv("LAKEOPT_HOME", str(tmp_path))
    runner = WorkerRunner(load_settings(), redis_url)
    polling = asyncio.Event()
    swallowed = 0

    async def loop_that_swallows_one_cancel() -> None:
        # What arq's loop does when a cancel meets an expiring redis-py timeout: it polls on.
        nonlocal swallowed
        polling.set()
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1

    monkeypatch.setattr(runner.worker, "async_run", loop_that_swallows_one_cancel)
    running = asyncio.create_task(runner.run())
    await asyncio.wait_for(polling.wait(), 10)
    runner.stop()
    try:
        await asyncio.wait_for(asyncio.shield(running), 10)
    finally:
        if not running.done():
            running.cancel()
            with contextlib.suppress(BaseException):
                await running
    assert swallowed == 1
