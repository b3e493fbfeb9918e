"""Progress on stderr: a ``rich`` bar on a terminal, plain lines otherwise (logs, CI, pipes).

One :class:`ProgressLine` per command: ``update(fraction, message)`` for stages, or
``transfer(done, total)`` for a download (bytes, with speed on a terminal). Plain output prints a
line per message and, for a transfer, one per tenth done, so a log stays short.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from jobs.db.download import ByteProgress


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class ProgressLine:
    def __init__(self, title: str, *, terminal: bool | None = None) -> None:
        self.title = title
        self.terminal = stderr_is_terminal() if terminal is None else terminal
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_message = ""
        self._last_tenth = -1

    def __enter__(self) -> ProgressLine:
        if self.terminal:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[message]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.title, total=1.0, message="")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, fraction: float, message: str, *, stage: str | None = None) -> None:
        """Stage progress, ``fraction`` in 0..1."""
        if self._bar is not None and self._task is not None:
            description = f"{self.title} {stage}" if stage else self.title
            self._bar.update(self._task, completed=fraction, description=description, message=message[:80])
            return
        line = f"[{fraction:4.0%}] {stage}: {message}" if stage else f"[{fraction:4.0%}] {message}"
        if line != self._last_message:
            print(line, file=sys.stderr, flush=True)
            self._last_message = line

    def note(self, message: str) -> None:
        """A line that stays (above the bar on a terminal)."""
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=sys.stderr, flush=True)


@contextmanager
def transfer_progress(title: str, *, terminal: bool | None = None) -> Iterator[ByteProgress]:
    """A byte counter for a download: yields ``callback(done, total)`` (``total`` may be ``None``)."""
    terminal = stderr_is_terminal() if terminal is None else terminal
    if not terminal:
        last = [-1]

        def plain(done: int, total: int | None) -> None:
            tenth = int(10 * done / total) if total else -1
            if total and tenth != last[0]:
                last[0] = tenth
                print(f"{title}: {done / 1e6:.0f} of {total / 1e6:.0f} MB", file=sys.stderr, flush=True)

        yield plain
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
    )
    with bar:
        task = bar.add_task(title, total=None)

        def fancy(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield fancy
