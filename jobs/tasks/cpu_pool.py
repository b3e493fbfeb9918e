"""CPU-heavy calls in other processes, so an event loop never waits on them.

A thread is not enough for work such as parsing 40,000 DDL statements: the thread holds the GIL
in 5 ms slices and its garbage collections pause every thread, so ``/healthz`` waited seconds.
The pool's processes come from a forkserver that has imported the engine once (forking the API
itself would copy its threads and sockets). A pool whose process died is replaced and the call
tried once more.

>>> import asyncio, operator
>>> pool = CpuPool(processes=1)
>>> asyncio.run(pool.run(operator.add, 2, 3))
5
>>> pool.close()
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")

#: Modules the forkserver imports before it forks a pool process (a cold import is ~1 s).
PRELOAD = ["jobs.engine", "jobs.contract.workload"]


class CpuPool:
    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._executor = ProcessPoolExecutor(self.processes, mp_context=context)
            return self._executor

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in a pool process; ``fn``, the arguments, the result and any exception
        it raises must pickle."""
        loop = asyncio.get_running_loop()
        executor = self._current()
        try:
            return await loop.run_in_executor(executor, fn, *args)
        except BrokenProcessPool:
            # A pool process died (OOM killer, a signal): a new pool, and one more try.
            self._discard(executor)
            return await loop.run_in_executor(self._current(), fn, *args)

    def close(self) -> None:
        """Stop the processes without waiting for calls in flight (their callers get an error)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
