"""The freshness phase of a verification: are the plan's views exact after the next load?

After the timings: append about 1 % of each copied base table a view reads to itself (DATE and
TIMESTAMP columns shifted by a day, so some groups change and groups past the last day appear),
run every rewritten query and its baseline form (the requalified original over the copies) while
the views are stale and compare their rows, then refresh the views and compare again. The stale
reads, each refresh and the fresh reads are timed. The copies keep the appended rows: the next
verification recreates the schema.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlglot.errors import SqlglotError

from jobs.contract.progress import Progress, notify
from jobs.contract.result import PlanResult
from jobs.contract.verification import QueryVerification, VerificationReport, ViewRefresh
from jobs.db.trino_client import TrinoClient, TrinoQueryError
from jobs.engine.model.requalify import table_references
from jobs.sql.quoting import quote_literal, quote_name
from jobs.sql.statements import clean_statement, parse_statement, table_name
from jobs.verify.compare import ResultSet
from jobs.verify.statements import PlanStatement

#: Share of a copy's rows appended; small tables get at least one row.
APPEND_SHARE = 0.01
#: Below this many rows a sample would often be empty: the first rows are taken instead.
SAMPLE_MIN_ROWS = 10_000

Compare = Callable[[str, ResultSet, ResultSet], tuple[bool, str]]


def copies_read(view: PlanStatement, schema: str) -> list[str]:
    """The tables of the new schema ``view``'s definition reads.

    >>> copies_read(PlanStatement("MATERIALIZED VIEW", "c.n.v", "CREATE MATERIALIZED VIEW c.n.v GRACE PERIOD "
    ...     "INTERVAL '0' SECOND AS SELECT a.k FROM c.n.t AS a JOIN c.n.u ON a.k = u.k"), "c.n")
    ['c.n.t', 'c.n.u']
    """
    try:
        tree = parse_statement(view.sql)
    except (SqlglotError, ValueError):
        return []
    names = [table_name(t) for t in table_references(tree)]
    return list(dict.fromkeys(n for n in names if n != view.target and n.startswith(schema + ".")))


def _shifted(column: str, type_sql: str) -> str:
    kind = type_sql.lower()
    if kind == "date":
        return f"date_add('day', 1, {quote_name(column)})"
    if kind.startswith("timestamp"):
        return f"{quote_name(column)} + INTERVAL '1' DAY"
    return quote_name(column)


def _append(client: TrinoClient, table: str, timeout: float) -> int:
    """Append ~1 % of ``table``'s rows to it, dates shifted by a day; the rows appended."""
    catalog, schema, name = table.split(".")
    columns = client.execute(
        f"SELECT column_name, data_type FROM {quote_name(catalog)}.information_schema.columns "
        f"WHERE table_schema = {quote_literal(schema)} AND table_name = {quote_literal(name)} ORDER BY ordinal_position"
    ).rows
    rows = int(client.scalar(f"SELECT count(*) FROM {table}") or 0)
    if not columns or rows == 0:
        return 0
    select = ", ".join(_shifted(str(c), str(t)) for c, t in columns)
    source = (
        f"{table} TABLESAMPLE BERNOULLI ({APPEND_SHARE * 100:g})"
        if rows >= SAMPLE_MIN_ROWS
        else f"(SELECT * FROM {table} LIMIT {max(1, int(rows * APPEND_SHARE))})"
    )
    result = client.execute(f"INSERT INTO {table} SELECT {select} FROM {source}", timeout=timeout)
    return int(result.rows[0][0]) if result.rows else 0


async def _rows(client: TrinoClient, sql: str, limit: float) -> tuple[ResultSet | None, float, str]:
    started = time.perf_counter()
    try:
        result = await asyncio.to_thread(client.execute, clean_statement(sql), timeout=limit)
    except TrinoQueryError as exc:
        return None, time.perf_counter() - started, str(exc)[:200]
    return (
        ResultSet(list(result.columns), [list(r) for r in result.rows], result.types),
        time.perf_counter() - started,
        "",
    )


async def _compare_all(
    client: TrinoClient,
    pairs: list[tuple[QueryVerification, str, str]],
    compare: Compare,
    limit: float,
    phase: str,
) -> None:
    """Each (entry, rewritten, baseline form): same rows? Sets ``equal_<phase>`` and ``<phase>_seconds``."""
    for entry, rewritten, baseline in pairs:
        after, seconds, error = await _rows(client, rewritten, limit)
        before, _, error_before = await _rows(client, baseline, limit)
        if after is None or before is None:
            equal, detail = (
                False,
                f"{'rewritten' if after is None else 'baseline form'} failed: {error or error_before}",
            )
        else:
            equal, detail = compare(baseline, before, after)
        setattr(entry, f"equal_{phase}", equal)
        setattr(entry, f"{phase}_seconds", seconds)
        if not equal:
            entry.freshness_detail = f"{phase}: {detail}"


async def check_freshness(
    client: TrinoClient,
    statements: list[PlanStatement],
    schema: str,
    result: PlanResult,
    baseline: PlanResult,
    report: VerificationReport,
    compare: Compare,
    *,
    query_timeout: float,
    on_progress: Progress | None = None,
) -> None:
    """Append to the copies the views read, compare stale, refresh, compare fresh; fills ``report``."""
    views = [s for s in statements if s.kind == "MATERIALIZED VIEW" and s.target]
    if not views:
        return
    await notify(on_progress, 0.96, "freshness: appending rows to the copies the views read")
    appended: dict[str, int] = {}
    for view in views:
        entry = ViewRefresh(name=view.target or "")
        for copy in copies_read(view, schema):
            if copy not in appended:
                try:
                    appended[copy] = await asyncio.to_thread(_append, client, copy, query_timeout)
                except TrinoQueryError as exc:
                    report.errors.append(f"freshness: cannot append to {copy}: {exc}"[:300])
                    return
            entry.appended_rows[copy] = appended[copy]
        report.views.append(entry)
    forms = {q.queryid: q.query for q in baseline.queries}
    entries = {q.queryid: q for q in report.queries}
    # A query whose text is its baseline form's reads no view: nothing to compare.
    pairs = [
        (entries[q.queryid], q.query, forms[q.queryid])
        for q in result.queries
        if q.queryid in entries and q.queryid in forms and clean_statement(q.query) != clean_statement(forms[q.queryid])
    ]
    await notify(on_progress, 0.97, "freshness: reading the stale views")
    await _compare_all(client, pairs, compare, query_timeout, "stale")
    await notify(on_progress, 0.98, "freshness: refreshing the views")
    for entry, view in zip(report.views, views, strict=True):
        started = time.perf_counter()
        try:
            await asyncio.to_thread(
                client.execute, f"REFRESH MATERIALIZED VIEW {view.target}", timeout=query_timeout * 3
            )
        except TrinoQueryError as exc:
            report.errors.append(f"freshness: refreshing {view.target} failed: {exc}"[:300])
            continue
        entry.refresh_seconds = time.perf_counter() - started
    await notify(on_progress, 0.99, "freshness: reading the refreshed views")
    await _compare_all(client, pairs, compare, query_timeout, "fresh")
