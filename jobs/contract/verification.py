"""The verification report and the contract's scores x, y, z."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: A query that fails counts as this many seconds (the contract's rule).
FAILED_QUERY_SECONDS = 600.0

#: ``equal``: same rows; ``mismatch``: the rewrite returns other rows or fails (the only verdict that
#: reverts a rewrite); ``nondeterministic original``: the original itself may return other rows, and the
#: rewrite stays within what it allows; ``original fails``: the query errors before the plan (passed through).
QueryStatus = Literal["equal", "mismatch", "nondeterministic original", "original fails"]


class QueryVerification(BaseModel):
    queryid: str
    runquantity: int
    #: Median wall seconds of the timed runs; ``None`` when the query failed.
    before_seconds: float | None = None
    after_seconds: float | None = None
    #: Median of Trino's own ``elapsedTimeMillis`` for the same runs, in seconds (no client-side waits).
    before_trino_seconds: float | None = None
    after_trino_seconds: float | None = None
    speedup: float | None = None
    status: QueryStatus = "mismatch"
    #: ``status`` is equal or nondeterministic original: the rewrite may stand in for the original.
    equal: bool = False
    detail: str = ""
    rows_before: int | None = None
    rows_after: int | None = None
    error_before: str | None = None
    error_after: str | None = None
    #: Freshness phase (after an append to the copies the views read): the rewritten query and its
    #: baseline form returned the same rows while the views were stale, and again after the refresh.
    #: ``None`` when the phase did not run.
    equal_stale: bool | None = None
    equal_fresh: bool | None = None
    stale_seconds: float | None = None
    fresh_seconds: float | None = None
    freshness_detail: str = ""


class ViewRefresh(BaseModel):
    """One materialized view in the freshness phase."""

    name: str
    #: Seconds ``REFRESH MATERIALIZED VIEW`` took after the append; ``None`` when it failed.
    refresh_seconds: float | None = None
    #: Rows appended to the copies this view reads, by copy.
    appended_rows: dict[str, int] = Field(default_factory=dict)


class VerificationReport(BaseModel):
    url: str
    new_schema: str
    repetitions: int
    queries: list[QueryVerification] = Field(default_factory=list)
    source_bytes: int = 0
    new_bytes: int = 0
    ddl_seconds: float = 0.0
    migration_seconds: float = 0.0
    x: float | None = None
    y: float | None = None
    z: float | None = None
    errors: list[str] = Field(default_factory=list)
    #: Queries the run's budget left unmeasured (``queries`` holds the measured ones; x is theirs).
    unmeasured: list[str] = Field(default_factory=list)
    #: The freshness phase's views (empty when the plan has none or the phase did not run).
    views: list[ViewRefresh] = Field(default_factory=list)

    @property
    def mismatches(self) -> list[str]:
        return [q.queryid for q in self.queries if q.status == "mismatch" or False in (q.equal_stale, q.equal_fresh)]

    @property
    def partial(self) -> bool:
        return bool(self.unmeasured)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.mismatches and not self.unmeasured


def time_score(queries: list[QueryVerification]) -> float | None:
    """x = Σ(Q·A/T)/ΣQ, a failing query counting 600 s.

    >>> x = time_score([QueryVerification(queryid="a", runquantity=3, before_seconds=2.0, after_seconds=1.0),
    ...                 QueryVerification(queryid="b", runquantity=1, before_seconds=1.0, after_seconds=None)])
    >>> round(x or 0, 6)
    1.500417
    """
    total = sum(q.runquantity for q in queries)
    if total == 0:
        return None
    weighted = 0.0
    for q in queries:
        before = q.before_seconds if q.before_seconds is not None else FAILED_QUERY_SECONDS
        after = q.after_seconds if q.after_seconds is not None else FAILED_QUERY_SECONDS
        weighted += q.runquantity * before / max(after, 1e-3)
    return weighted / total


def total_score(x: float | None, y: float | None) -> float | None:
    """z = x^(2/3) · y.

    >>> round(total_score(8.0, 1.5) or 0, 6)
    6.0
    """
    if x is None or y is None:
        return None
    return float(x ** (2 / 3) * y)
