"""The input of a task: DDL, the queries with their run statistics, and the JDBC URL.

Validation errors name the offending field (``queries[3].runquantity``) so the REST layer can
return them as a 422 and GraphQL as a typed input error.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The largest workload accepted (bytes of JSON); larger bodies are refused before parsing.
MAX_WORKLOAD_BYTES = 8 * 1024 * 1024
#: ``max_staleness``: a number and a unit (``30s``, ``15m``, ``1h``, ``2d``); a bare ``0`` is zero.
_STALENESS = re.compile(r"^\s*(\d{1,9})\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def staleness_seconds(value: str | None) -> int:
    """Seconds of a ``max_staleness`` value (None: zero); :class:`ValueError` when it is not one.

    >>> staleness_seconds("15m"), staleness_seconds("1h"), staleness_seconds(None), staleness_seconds("0")
    (900, 3600, 0, 0)
    >>> staleness_seconds("soon")
    Traceback (most recent call last):
    ...
    ValueError: 'soon' is not a duration such as 30s, 15m, 1h or 2d
    """
    if value is None:
        return 0
    match = _STALENESS.match(value)
    if match is None or (match.group(2) == "" and int(match.group(1)) != 0):
        raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 1h or 2d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


#: Bounds of a query's statistics (documented in the README): far above any real workload, and
#: small enough that weights (runquantity x executiontime) stay finite floats.
MAX_RUNQUANTITY = 10**12
MAX_EXECUTIONTIME = 10.0**9


class WorkloadError(ValueError):
    """A workload that cannot be accepted; ``problems`` lists each field and what is wrong."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" if field else message for field, message in problems))

    def __reduce__(self) -> tuple[type[WorkloadError], tuple[list[tuple[str, str]]]]:
        # Raised in a pool process, it crosses back by pickle.
        return type(self), (self.problems,)


class DdlStatement(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    statement: str = Field(min_length=1)


class WorkloadQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    queryid: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1)
    runquantity: int = Field(default=1, ge=0, le=MAX_RUNQUANTITY)
    executiontime: float | None = Field(default=None, ge=0, le=MAX_EXECUTIONTIME, allow_inf_nan=False)

    @field_validator("executiontime", mode="before")
    @classmethod
    def _int_is_a_number(cls, value: Any) -> Any:
        # strict mode refuses int for float; JSON has one number type.
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    @property
    def weight(self) -> float:
        """How much this query matters: total seconds it costs (runquantity x executiontime)."""
        return self.runquantity * (self.executiontime if self.executiontime is not None else 1.0)


class Workload(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    url: str | None = None
    #: A Trino lakeopt may write to (staging, the sandbox) holding the same source tables: the plan
    #: is run there, every rewrite compared with its original, and LLM rewrites can be verified.
    verify_url: str | None = None
    ddl: list[DdlStatement] = Field(min_length=1)
    queries: list[WorkloadQuery] = Field(min_length=1)
    #: How stale a derived view may be when read (``15m``, ``1h``; default zero: never): its GRACE PERIOD.
    max_staleness: str | None = None

    @field_validator("max_staleness")
    @classmethod
    def _a_duration(cls, value: str | None) -> str | None:
        staleness_seconds(value)
        return value

    @model_validator(mode="after")
    def _unique_query_ids(self) -> Workload:
        seen: set[str] = set()
        for index, query in enumerate(self.queries):
            if query.queryid in seen:
                raise ValueError(f"queries[{index}].queryid: duplicate queryid {query.queryid!r}")
            seen.add(query.queryid)
        return self


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def parse_workload(data: Any) -> Workload:
    """Validate already-decoded JSON into a :class:`Workload` or raise :class:`WorkloadError`.

    >>> parse_workload({"ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}],
    ...                 "queries": [{"queryid": "q1", "query": "SELECT a FROM c.s.t"}]}).queries[0].runquantity
    1
    >>> try:
    ...     parse_workload({"ddl": [], "queries": [{"queryid": "q1", "query": "SELECT 1", "runquantity": "x"}]})
    ... except WorkloadError as exc:
    ...     [field for field, _ in exc.problems]
    ['ddl', 'queries[0].runquantity']
    """
    if not isinstance(data, dict):
        raise WorkloadError([("", "the workload must be a JSON object with 'ddl' and 'queries'")])
    try:
        return Workload.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            message = str(error["msg"])
            path = _field_path(tuple(error["loc"]))
            if message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
                if ": " in message and not path:
                    path, message = message.split(": ", 1)
            problems.append((path, message))
        raise WorkloadError(problems) from None


def parse_workload_json(raw: bytes | str) -> Workload:
    """Decode and validate a workload document; JSON syntax errors name line and column."""
    if len(raw) > MAX_WORKLOAD_BYTES:
        raise WorkloadError([("", f"the workload is larger than {MAX_WORKLOAD_BYTES} bytes")])
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise WorkloadError([("", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]) from None
    except UnicodeDecodeError:
        raise WorkloadError([("", "the workload is not UTF-8 text")]) from None
    return parse_workload(data)
