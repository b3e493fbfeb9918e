"""Measuring one query before and after the plan, and its verdict (:func:`verify_query`)."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

from jobs.contract.verification import QueryVerification
from jobs.contract.workload import WorkloadQuery
from jobs.db.trino_client import TrinoClient, TrinoQueryError
from jobs.sql.statements import clean_statement
from jobs.verify.classify import classify, failed_verdict, needs_baseline
from jobs.verify.compare import ResultSet


@dataclass
class Measurement:
    """The warm-up's rows and the median wall and Trino-reported seconds of the timed runs, or the error."""

    rows: ResultSet | None = None
    seconds: float | None = None
    trino_seconds: float | None = None
    error: str | None = None
    runs: list[float] = field(default_factory=list)


def result_set(result: object) -> ResultSet:
    return ResultSet(list(result.columns), list(result.rows), getattr(result, "types", None))  # type: ignore[attr-defined]


async def measure(client: TrinoClient, sql: str, repetitions: int, limit: float) -> Measurement:
    """A warm-up run (its rows are compared) and ``repetitions`` timed runs, each bounded by ``limit`` s."""
    try:
        warm = await asyncio.to_thread(client.execute, sql, timeout=limit)
        wall: list[float] = []
        trino: list[float] = []
        for _ in range(repetitions):
            started = time.perf_counter()
            run = await asyncio.to_thread(client.execute, sql, timeout=limit)
            wall.append(time.perf_counter() - started)
            if run.elapsed_ms is not None:
                trino.append(run.elapsed_ms / 1000.0)
    except TrinoQueryError as exc:
        return Measurement(error=str(exc))
    return Measurement(
        result_set(warm), statistics.median(wall), statistics.median(trino) if trino else None, runs=wall
    )


async def _baseline_rows(client: TrinoClient, sql: str | None, limit: float) -> ResultSet | None:
    """The baseline form's rows on the copy, or ``None`` when there is none (another schema, a dropped copy)."""
    if sql is None:
        return None
    try:
        return result_set(await asyncio.to_thread(client.execute, clean_statement(sql), timeout=limit))
    except TrinoQueryError:
        return None


async def verify_query(
    client: TrinoClient,
    query: WorkloadQuery,
    rewritten: str | None,
    baseline: str | None,
    *,
    repetitions: int,
    limit: float,
) -> QueryVerification:
    """Time the original and the rewrite, and classify the rewrite (see :mod:`jobs.verify.classify`)."""
    entry = QueryVerification(queryid=query.queryid, runquantity=query.runquantity)
    original = clean_statement(query.query)
    before = await measure(client, original, repetitions, limit)
    if rewritten is None:
        after = Measurement(error="the plan has no rewritten query for this queryid")
    else:
        after = await measure(client, clean_statement(rewritten), repetitions, limit)
    entry.before_seconds, entry.before_trino_seconds, entry.error_before = (
        before.seconds,
        before.trino_seconds,
        before.error,
    )
    entry.after_seconds, entry.after_trino_seconds, entry.error_after = after.seconds, after.trino_seconds, after.error
    if before.rows is not None and after.rows is not None:
        entry.rows_before, entry.rows_after = len(before.rows.rows), len(after.rows.rows)
        same_text = (
            baseline is not None and rewritten is not None and clean_statement(baseline) == clean_statement(rewritten)
        )
        copy = None
        if needs_baseline(original, before.rows, after.rows):
            # The rewrite is the baseline form itself: its rows are already the copy's.
            copy = after.rows if same_text else await _baseline_rows(client, baseline, limit)
        verdict = classify(original, before.rows, after.rows, copy)
    else:
        verdict = failed_verdict(before.error, after.error)
    entry.status, entry.detail, entry.equal = verdict.status, verdict.detail, verdict.stands_in
    if entry.before_seconds is not None and entry.after_seconds is not None:
        entry.speedup = entry.before_seconds / max(entry.after_seconds, 1e-3)
    return entry
