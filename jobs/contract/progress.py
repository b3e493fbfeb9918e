"""The one progress callback: ``(fraction 0..1, message)``, plain or async, that every stage reports to."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: Called with the share of the work done and a line for a person. Blocking code (the profiler,
#: in its worker thread) needs a plain function; async code awaits what an async one returns.
Progress = Callable[[float, str], Awaitable[None] | None]


async def notify(progress: Progress | None, fraction: float, message: str) -> None:
    """Report to ``progress``; a broken sink is logged and never stops the work it watches."""
    if progress is None:
        return
    try:
        pending = progress(fraction, message)
        if inspect.isawaitable(pending):
            await pending
    except Exception:
        log.warning("progress callback failed", exc_info=True)
