"""Running a plan against a writable Trino and measuring it: :func:`verify_plan` and :func:`same_rows`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

from jobs.contract.progress import Progress, notify
from jobs.contract.result import PlanResult
from jobs.contract.verification import VerificationReport, time_score, total_score
from jobs.contract.workload import Workload
from jobs.db.guard import ReadOnlyViolation, check_read_only
from jobs.db.trino_client import TrinoClient, TrinoQueryError, client_from_jdbc_url
from jobs.engine.optimizer import baseline_result
from jobs.sql.jdbc_url import redact_url
from jobs.sql.statements import clean_statement, created_table
from jobs.verify.classify import classify
from jobs.verify.compare import ResultSet
from jobs.verify.freshness import check_freshness
from jobs.verify.query_run import result_set, verify_query
from jobs.verify.statements import (
    PlanStatement,
    UnsafeStatementError,
    idempotent_create_schema,
    new_schema,
    plan_statement,
)
from jobs.verify.views import drop_object, object_bytes

#: Trino client errors that mean there is no server to talk to (not a refused statement).
UNREACHABLE = ("CONNECTION", "HTTP_ERROR")

#: The contract's cost of a failing query, also the per-run timeout.
QUERY_TIMEOUT = 600.0


class RowSource(Protocol):
    """Anything that runs a query and returns ``.columns`` and ``.rows`` (jobs.db or the HTTP client)."""

    def query(self, sql: str, *, timeout: float | None = None) -> Any: ...


def compare_for_query(sql: str, before: ResultSet, after: ResultSet) -> tuple[bool, str]:
    """Whether ``after`` may stand in for ``before`` (see :func:`jobs.verify.classify.classify`), and why."""
    verdict = classify(sql, before, after)
    return verdict.stands_in, verdict.detail


def same_rows(conn: RowSource, original_sql: str, rewritten_sql: str, *, timeout: float = 120.0) -> tuple[bool, str]:
    """Whether the rewritten query returns the rows the original returns, and why not.

    Blocking (run it in an executor). When the original is itself nondeterministic (``random()``,
    ``max_by`` over ties, a LIMIT inside a subquery) and the strict comparison fails, what its
    nondeterminism allows decides (float tolerance, else row counts) and the detail says so.
    """
    original, rewritten = clean_statement(original_sql), clean_statement(rewritten_sql)
    try:
        before = result_set(conn.query(original, timeout=timeout))
    except Exception as exc:  # the driver's own error types vary (JDBC, Trino client)
        return False, f"the original query failed: {exc}"
    try:
        after = result_set(conn.query(rewritten, timeout=timeout))
    except Exception as exc:
        return False, f"the rewritten query failed: {exc}"
    return compare_for_query(original, before, after)


def checked_statements(workload: Workload, result: PlanResult, schema: str) -> list[PlanStatement]:
    """Every DDL and migration statement through the allow-list, and every query through the
    read-only guard, before anything runs; the first refusal raises :class:`UnsafeStatementError`."""
    checked: list[PlanStatement] = []
    for section, statements in (("ddl", result.ddl), ("migrations", result.migrations)):
        for index, item in enumerate(statements):
            statement = plan_statement(clean_statement(item.statement), schema, f"{section}[{index}]")
            if statement.kind == "SELECT" or (statement.kind == "SCHEMA") != (section == "ddl" and index == 0):
                raise UnsafeStatementError(
                    f"{section}[{index}] is a {statement.kind} statement, which has no place there: "
                    f"{item.statement[:160]}"
                )
            checked.append(statement)
    for label, queries in (("query", workload.queries), ("rewritten query", result.queries)):
        for query in queries:
            try:
                check_read_only(clean_statement(query.query), "trino")
            except ReadOnlyViolation as exc:
                raise UnsafeStatementError(f"{label} {query.queryid} is not a read-only query: {exc}") from exc
    return checked


async def _prepare(client: TrinoClient, result: PlanResult, plan: CheckedPlan, report: VerificationReport) -> bool:
    """Drop the new schema's objects, then run DDL and migrations; ``False`` on the first failure."""
    checked = plan.statements
    ddl = [s for s in checked if s.kind in ("TABLE", "MATERIALIZED VIEW", "DROP")]
    started = time.perf_counter()
    try:
        schema = idempotent_create_schema(result.ddl[0].statement)
        await asyncio.to_thread(client.execute, schema, timeout=QUERY_TIMEOUT)
        # Views first: they read the tables.
        for s in sorted((s for s in ddl if s.kind != "DROP" and s.target), key=lambda s: s.kind == "TABLE"):
            await asyncio.to_thread(drop_object, client, s.kind, s.target or "", QUERY_TIMEOUT)
    except TrinoQueryError as exc:
        if exc.error_name in UNREACHABLE:
            raise  # no server to report on: the caller says so in one line
        report.errors.append(f"DDL failed: {exc} (dropping the new schema's objects)")
        return False
    for statement in (s.sql for s in ddl):
        try:
            await asyncio.to_thread(client.execute, statement, timeout=QUERY_TIMEOUT)
        except TrinoQueryError as exc:
            if exc.error_name in UNREACHABLE:
                raise  # no server to report on: the caller says so in one line
            report.errors.append(f"DDL failed: {exc} in {statement[:200]}")
            return False
    report.ddl_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for migration in checked[len(result.ddl) :]:
        try:
            await asyncio.to_thread(client.execute, migration.sql, timeout=QUERY_TIMEOUT * 3)
        except TrinoQueryError as exc:
            report.errors.append(f"migration failed: {exc} in {migration.sql[:200]}")
            return False
    report.migration_seconds = time.perf_counter() - started
    return True


async def _bytes_of(
    client: TrinoClient, tables: list[str], report: VerificationReport, kinds: dict[str, str] | None = None
) -> int:
    total = 0
    for table in tables:
        try:
            total += await asyncio.to_thread(object_bytes, client, table, (kinds or {}).get(table, "TABLE"))
        except TrinoQueryError as exc:
            report.errors.append(f"cannot measure the size of {table}: {exc}")
    return total


def _baseline_queries(workload: Workload, schema: str) -> dict[str, str]:
    """The baseline form of every query, when the plan's copies live where the engine's baseline puts
    them (a hand-written plan elsewhere has none: only the tree then says what is nondeterministic)."""
    from jobs.engine.optimizer import baseline_result

    try:
        baseline = baseline_result(workload)
    except Exception:  # an unparseable workload still verifies; it just has no baseline form
        return {}
    if not baseline.ddl or new_schema(baseline.ddl[0].statement) != schema:
        return {}
    return {q.queryid: q.query for q in baseline.queries}


@dataclass(frozen=True)
class CheckedPlan:
    """A plan the guard let through: its new schema, the source tables, and its allowed statements."""

    schema: str
    source_tables: list[str]
    statements: list[PlanStatement]

    @property
    def stored_objects(self) -> list[str]:
        """The tables and materialized views the plan creates (their bytes are the plan's storage)."""
        return [s.target for s in self.statements if s.kind in ("TABLE", "MATERIALIZED VIEW") and s.target]

    @property
    def kinds(self) -> dict[str, str]:
        """``TABLE`` or ``MATERIALIZED VIEW`` by object name (a view's bytes are its storage table's)."""
        return {s.target: s.kind for s in self.statements if s.kind in ("TABLE", "MATERIALIZED VIEW") and s.target}


def check_plan(workload: Workload, result: PlanResult) -> CheckedPlan:
    """The plan's new schema and the source tables; refuses, before anything runs, a plan with a
    statement outside the allow-list, a write outside the new schema, or a new schema that is a source."""
    if not result.ddl:
        raise UnsafeStatementError("the plan has no DDL; its first statement must be CREATE SCHEMA")
    schema = new_schema(result.ddl[0].statement)
    source_tables = [t for d in workload.ddl if (t := created_table(d.statement)) is not None]
    if any(t.rsplit(".", 1)[0] == schema for t in source_tables):
        raise UnsafeStatementError(f"the plan's new schema {schema} is a source schema; refusing to write to it")
    return CheckedPlan(schema, source_tables, checked_statements(workload, result, schema))


async def apply_plan(
    workload: Workload, result: PlanResult, url: str, *, client: TrinoClient | None = None
) -> list[str]:
    """Run the plan's DDL and migrations on the writable Trino at ``url``; returns the errors.

    Lets the caller check single rewrites (:func:`same_rows`) before the full :func:`verify_plan`,
    which can then skip this step with ``prepared=True``.
    """
    plan = check_plan(workload, result)
    report = VerificationReport(url=redact_url(url), new_schema=plan.schema, repetitions=1)
    await _prepare(client or client_from_jdbc_url(url), result, plan, report)
    return report.errors


async def verify_plan(
    workload: Workload,
    result: PlanResult,
    url: str,
    *,
    repetitions: int = 3,
    on_progress: Progress | None = None,
    query_timeout: float = QUERY_TIMEOUT,
    client: TrinoClient | None = None,
    prepared: bool = False,
    budget_seconds: float | None = None,
    baseline: PlanResult | None = None,
    freshness: bool = True,
) -> VerificationReport:
    """Run ``result`` against the writable Trino at ``url`` and measure it against ``workload``.

    Only the plan's new schema is written to (its tables are dropped and recreated); a statement
    that would write elsewhere is refused before anything runs. ``prepared=True`` skips the DDL
    and migrations (already run by :func:`apply_plan`). ``budget_seconds`` bounds the run: when it ends,
    the report is partial (``unmeasured`` names the queries left) and x is the measured queries'.
    ``freshness`` adds the phase of :mod:`jobs.verify.freshness` after the timings, comparing each
    rewrite with its ``baseline`` form (default: :func:`jobs.engine.optimizer.baseline_result`).
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    if repetitions < 1:
        raise ValueError("repetitions must be at least 1")
    plan = check_plan(workload, result)
    client = client or client_from_jdbc_url(url)
    report = VerificationReport(url=redact_url(url), new_schema=plan.schema, repetitions=repetitions)
    if not prepared:
        await notify(on_progress, 0.0, f"running {len(plan.statements)} DDL and migration statements")
        if not await _prepare(client, result, plan, report):
            return report
    rewritten = {q.queryid: q.query for q in result.queries}
    baseline_queries = _baseline_queries(workload, plan.schema)
    total = len(workload.queries)
    for index, query in enumerate(workload.queries):
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            report.unmeasured = [q.queryid for q in workload.queries[index:]]
            report.errors.append(f"the budget ran out: {len(report.unmeasured)} of {total} queries not measured")
            break
        limit = query_timeout if remaining is None else max(1.0, min(query_timeout, remaining))
        entry = await verify_query(
            client,
            query,
            rewritten.get(query.queryid),
            baseline_queries.get(query.queryid),
            repetitions=repetitions,
            limit=limit,
        )
        report.queries.append(entry)
        done = 0.05 + 0.9 * (index + 1) / total
        await notify(on_progress, done, f"query {index + 1}/{total} {query.queryid}: {entry.status}")
    await notify(on_progress, 0.95, "measuring stored bytes")
    report.source_bytes = await _bytes_of(client, plan.source_tables, report)
    report.new_bytes = await _bytes_of(client, plan.stored_objects, report, plan.kinds)
    if freshness:  # after the bytes: it appends rows to the copies
        forms = baseline or baseline_result(workload)
        await check_freshness(
            client, plan.statements, plan.schema, result, forms, report, compare_for_query,
            query_timeout=query_timeout, on_progress=on_progress,
        )  # fmt: skip
    report.x = time_score(report.queries)
    report.y = report.source_bytes / report.new_bytes if report.new_bytes else None
    report.z = total_score(report.x, report.y)
    await notify(on_progress, 1.0, "verified")
    return report
