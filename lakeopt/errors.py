"""One way for a command to fail: :class:`CliError` carries the line to print and the exit code;
``lakeopt.cli.main`` prints it (``lakeopt COMMAND: message``) instead of a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.contract.workload import Workload

#: Exit codes: 2 bad input (a file, an argument), 1 a service is not there.
BAD_INPUT = 2
UNAVAILABLE = 1


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
