"""Verifying a PostgreSQL plan on a writable PostgreSQL (JDBC): the verifier's flow for Trino.

Every statement passes :mod:`jobs.verify.postgres_statements` and every query the read-only
guard before anything runs; the new schema is dropped (``CASCADE``: it is the plan's own, never a
source) and rebuilt, the migrations run, then each original and rewritten query is run once to
warm up and ``repetitions`` times timed (median), their rows compared. y counts the bytes of
tables with their indexes and TOAST (``pg_total_relation_size``), sources against new objects.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from jobs.contract.result import PlanResult
from jobs.contract.verification import QueryVerification, VerificationReport, time_score, total_score
from jobs.contract.workload import Workload
from jobs.db.connection import JdbcError, WritableConnection, connect_writable
from jobs.db.guard import ReadOnlyViolation, check_read_only
from jobs.engine.model.source_ddl import read_source_tables
from jobs.settings import Settings, get_settings
from jobs.sql.jdbc_url import parse_jdbc_url, redact_url
from jobs.sql.quoting import quote_literal, quote_name
from jobs.sql.statements import clean_statement
from jobs.verify.classify import classify
from jobs.verify.compare import ResultSet
from jobs.verify.postgres_statements import new_schema, plan_statement
from jobs.verify.statements import PlanStatement, UnsafeStatementError
from jobs.verify.verifier import QUERY_TIMEOUT


def check_postgres_plan(workload: Workload, result: PlanResult, database: str) -> tuple[str, list[PlanStatement]]:
    """The new ``database.schema`` and the allowed statements, or :class:`UnsafeStatementError`."""
    if not result.ddl:
        raise UnsafeStatementError("the plan has no DDL; its first statement must be CREATE SCHEMA")
    schema = new_schema(clean_statement(result.ddl[0].statement), database)
    sources = {f"{t.catalog}.{t.schema}".lower() for t in read_source_tables(workload)}
    if schema in sources:
        raise UnsafeStatementError(f"the plan's new schema {schema} is a source schema; refusing to write to it")
    checked = []
    for section, statements in (("ddl", result.ddl), ("migrations", result.migrations)):
        for index, item in enumerate(statements):
            statement = plan_statement(clean_statement(item.statement), schema, f"{section}[{index}]")
            if (statement.kind == "SCHEMA") != (section == "ddl" and index == 0):
                raise UnsafeStatementError(f"{section}[{index}] is a {statement.kind} statement out of place")
            checked.append(statement)
    for label, queries in (("query", workload.queries), ("rewritten query", result.queries)):
        for query in queries:
            try:
                check_read_only(clean_statement(query.query), "postgresql")
            except ReadOnlyViolation as exc:
                raise UnsafeStatementError(f"{label} {query.queryid} is not a read-only query: {exc}") from exc
    return schema, checked


def _measure(
    connection: WritableConnection, sql: str, repetitions: int, limit: float
) -> tuple[ResultSet | None, float | None, str | None]:
    try:
        warm = connection.query(sql, timeout=limit)
        seconds = []
        for _ in range(repetitions):
            started = time.perf_counter()
            connection.query(sql, timeout=limit)
            seconds.append(time.perf_counter() - started)
    except JdbcError as exc:
        return None, None, str(exc)
    return ResultSet(list(warm.columns), [tuple(r) for r in warm.rows]), statistics.median(seconds), None


def _bytes(connection: WritableConnection, names: list[str], report: VerificationReport, *, trees: bool) -> int:
    """Bytes of ``names`` with their indexes and TOAST; with ``trees``, a partitioned table's
    partitions too (the plan's own partitions are in ``names`` themselves)."""
    total = 0
    for name in names:
        regclass = ".".join(quote_name(p) for p in name.split(".")[1:])  # schema.table: the current database
        relation = f"{quote_literal(regclass)}::regclass"
        sql = f"SELECT pg_total_relation_size({relation})"
        if trees:  # pg_partition_tree lists nothing for a table that is not partitioned
            sql = (
                "SELECT CASE WHEN relkind = 'p' THEN (SELECT COALESCE(sum(pg_total_relation_size(relid)), 0) "
                "FROM pg_partition_tree(oid)) ELSE pg_total_relation_size(oid) END "
                f"FROM pg_class WHERE oid = {relation}"
            )
        try:
            total += int(connection.query(sql).rows[0][0])
        except JdbcError as exc:
            report.errors.append(f"cannot measure the size of {name}: {exc}")
    return total


def verify_postgres_sync(
    workload: Workload,
    result: PlanResult,
    url: str,
    *,
    repetitions: int = 3,
    query_timeout: float = QUERY_TIMEOUT,
    settings: Settings | None = None,
) -> VerificationReport:
    """Run ``result`` on the writable PostgreSQL at ``url`` and measure it against ``workload`` (blocking)."""
    if repetitions < 1:
        raise ValueError("repetitions must be at least 1")
    parsed = parse_jdbc_url(url)
    database = (parsed.database or "").lower()
    schema, checked = check_postgres_plan(workload, result, database)
    report = VerificationReport(url=redact_url(url), new_schema=schema, repetitions=repetitions)
    with connect_writable(parsed, settings or get_settings(), timeout=query_timeout * 3) as connection:
        started = time.perf_counter()
        try:
            connection.execute(f"DROP SCHEMA IF EXISTS {quote_name(schema.split('.')[1])} CASCADE")
            for statement in checked[: len(result.ddl)]:
                connection.execute(statement.sql)
            report.ddl_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for statement in checked[len(result.ddl) :]:
                connection.execute(statement.sql)
            report.migration_seconds = time.perf_counter() - started
        except JdbcError as exc:
            report.errors.append(f"the plan failed: {exc}")
            return report
        rewritten = {q.queryid: q.query for q in result.queries}
        for query in workload.queries:
            entry = QueryVerification(queryid=query.queryid, runquantity=query.runquantity)
            original = clean_statement(query.query)
            before, entry.before_seconds, entry.error_before = _measure(
                connection, original, repetitions, query_timeout
            )
            new_sql = rewritten.get(query.queryid)
            after: ResultSet | None = None
            if new_sql is None:
                entry.error_after = "the plan has no rewritten query for this queryid"
            else:
                after, entry.after_seconds, entry.error_after = _measure(
                    connection, clean_statement(new_sql), repetitions, query_timeout
                )
            if before is not None and after is not None:
                verdict = classify(original, before, after)
                entry.status, entry.detail, entry.equal = verdict.status, verdict.detail, verdict.stands_in
                entry.rows_before, entry.rows_after = len(before.rows), len(after.rows)
            elif entry.error_before is not None:
                # Passed through: the original fails on its own (x counts it as the contract does).
                entry.status, entry.detail = "original fails", f"the original query failed: {entry.error_before}"
            else:
                entry.detail = f"the rewritten query failed: {entry.error_after}"
            if entry.before_seconds is not None and entry.after_seconds is not None:
                entry.speedup = entry.before_seconds / max(entry.after_seconds, 1e-3)
            report.queries.append(entry)
        sources = [t.qualified.replace('"', "") for t in read_source_tables(workload)]
        created = [s.target for s in checked if s.kind in ("TABLE", "MATERIALIZED VIEW") and s.target]
        report.source_bytes = _bytes(connection, sources, report, trees=True)
        report.new_bytes = _bytes(connection, created, report, trees=False)
    report.x = time_score(report.queries)
    report.y = report.source_bytes / report.new_bytes if report.new_bytes else None
    report.z = total_score(report.x, report.y)
    return report


async def verify_postgres_plan(
    workload: Workload, result: PlanResult, url: str, *, repetitions: int = 3, query_timeout: float = QUERY_TIMEOUT
) -> VerificationReport:
    """:func:`verify_postgres_sync` in a worker thread (JDBC blocks)."""
    return await asyncio.to_thread(
        verify_postgres_sync, workload, result, url, repetitions=repetitions, query_timeout=query_timeout
    )
