"""The progress of ``lakeopt verify`` on stderr: a rich bar on a terminal, plain lines otherwise (logs, CI)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def verify_progress(title: str) -> Iterator[Callable[[float, str], None]]:
    """A ``(fraction, message)`` callback (the shape of :data:`jobs.contract.progress.Progress`)."""
    console = Console(stderr=True)
    if not console.is_terminal:

        def plain(fraction: float, message: str) -> None:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

        yield plain
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeElapsedColumn(), TextColumn("{task.fields[message]}"), console=console) as bar:
        task = bar.add_task(title, total=1.0, message="")

        def update(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, message=message)

        yield update
