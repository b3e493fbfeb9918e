"""One way for a command to fail: :class:`CliError` carries the line to print and the exit code;
``lakeopt.cli.main`` prints it (``lakeopt COMMAND: message``) instead of a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.contract.workload import Workload

#: Exit codes (the README's table): 1 a service the command needs is not there (or a check failed),
#: 2 bad input (a file, an argument, an environment variable), 4 ``optimize`` planned without the
#: database's statistics (it could not read them), 70 an internal error, 130 interrupted.
UNAVAILABLE = 1
BAD_INPUT = 2
NO_DATABASE = 4
INTERNAL = 70
INTERRUPTED = 130


class CliError(Exception):
    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def read_workload(path: str | Path) -> Workload:
    """The workload in the JSON file at ``path``, or a :class:`CliError` naming what is wrong."""
    from jobs.contract.workload import WorkloadError, parse_workload_json

    try:
        return parse_workload_json(Path(path).read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except WorkloadError as exc:
        raise CliError(f"{path} is not a valid workload: {exc}") from exc
