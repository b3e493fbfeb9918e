"""A worker's lease on the task it runs: renewed in the background while the body runs.

arq's own lock on a job outlasts the task's deadline, so a worker that dies would hold its task
for the whole limit. The lease lives in the task store instead and is renewed every third of
its length; once it lapses, the sweep hands the task to another worker. If a renewal finds the
task taken over (another attempt) or finished, the body is cancelled and :class:`LeaseLost`
raised: a worker that was only slow never writes over its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from jobs.tasks.store import TaskStore

log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """Another attempt took the task over, or it finished, while this attempt ran."""


@contextlib.asynccontextmanager
async def renewed_lease(store: TaskStore, task_id: uuid.UUID, attempt: int, *, seconds: float) -> AsyncIterator[None]:
    current = asyncio.current_task()
    assert current is not None, "renewed_lease runs inside a task"
    lost = False

    async def renew() -> None:
        nonlocal lost
        while True:
            await asyncio.sleep(seconds / 3)
            try:
                held = await store.renew_lease(task_id, attempt, lease_seconds=seconds)
            except Exception as exc:  # a store hiccup: try again; only a lapse hands the task on
                log.warning("task %s: could not renew the lease (%s)", task_id, type(exc).__name__)
                continue
            if not held:
                lost = True
                current.cancel()
                return

    renewer = asyncio.create_task(renew())
    try:
        yield
    except asyncio.CancelledError:
        if lost and current.uncancel() == 0:
            raise LeaseLost(f"attempt {attempt} of task {task_id} lost its lease") from None
        raise
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
