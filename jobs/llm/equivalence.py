"""The gate's dynamic check: something that runs two queries and says whether their rows match.

``jobs.verify`` compares on a writable Trino through blocking JDBC calls; wrap such a function
in :class:`ThreadedChecker` so it runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol


class EquivalenceChecker(Protocol):
    """Runs both queries on data and says whether they return the same rows (and why not)."""

    async def check(self, original_sql: str, rewritten_sql: str) -> tuple[bool, str]: ...


class ThreadedChecker:
    """An :class:`EquivalenceChecker` over a blocking ``compare(original_sql, rewritten_sql)``.

    Calls are serialized: JDBC connections are not safe to share between threads.

    >>> import asyncio
    >>> checker = ThreadedChecker(lambda a, b: (a.lower() == b.lower(), "compared text"))
    >>> asyncio.run(checker.check("SELECT 1", "select 1"))
    (True, 'compared text')
    """

    def __init__(self, compare: Callable[[str, str], tuple[bool, str]]) -> None:
        self._compare = compare
        self._lock = asyncio.Lock()

    async def check(self, original_sql: str, rewritten_sql: str) -> tuple[bool, str]:
        async with self._lock:
            return await asyncio.to_thread(self._compare, original_sql, rewritten_sql)
