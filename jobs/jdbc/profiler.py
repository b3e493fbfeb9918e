"""Collecting a :class:`DatabaseProfile` of the user's database for one workload.

For every table named in the DDL: row count, per-column statistics and stored size; for every
query: the database's EXPLAIN estimate. Nothing here raises for a database problem: a bad URL,
a refused login, a dead host or a slow server become ``warnings`` (redacted), and the task goes
on from DDL and workload alone. Per-table and per-query failures are warnings too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.jdbc.connection import JdbcError, ReadOnlyConnection
from jobs.jdbc.guard import ReadOnlyViolation, check_read_only
from jobs.jdbc.url import JdbcUrl, JdbcUrlError, parse_jdbc_url, scrub
from jobs.profile import DatabaseProfile, QueryExplain
from jobs.settings import Settings
from jobs.workload import Workload

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]

_DDL_TABLE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:\"[^\"]+\"|[\w$]+)(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TableName:
    catalog: str
    schema: str
    table: str

    @property
    def qualified(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"


def ddl_tables(workload: Workload, engine: str) -> list[TableName]:
    """The fully qualified tables the DDL creates, lower-cased, in order, without duplicates.

    >>> from jobs.workload import parse_workload
    >>> w = parse_workload({"ddl": [{"statement": 'CREATE TABLE C.s."T" (a int) WITH (format = \\'PARQUET\\');'},
    ...                             {"statement": "create table if not exists c.s.u (b int)"}],
    ...                     "queries": [{"queryid": "q", "query": "SELECT 1"}]})
    >>> [t.qualified for t in ddl_tables(w, "trino")]
    ['c.s.t', 'c.s.u']
    """
    dialect = "trino" if engine == "trino" else "postgres"
    seen: dict[str, TableName] = {}
    for statement in workload.ddl:
        parts = _create_table_parts(statement.statement, dialect)
        if parts is None or len(parts) < 3:
            continue  # not fully qualified: nothing to look up (the engine reports it)
        name = TableName(*(part.lower() for part in parts[-3:]))
        seen.setdefault(name.qualified, name)
    return list(seen.values())


def _create_table_parts(sql: str, dialect: str) -> list[str] | None:
    try:
        parsed = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        parsed = None
    if isinstance(parsed, exp.Create) and isinstance(parsed.this, exp.Schema | exp.Table):
        table = parsed.this.this if isinstance(parsed.this, exp.Schema) else parsed.this
        if isinstance(table, exp.Table):
            return [part.name for part in table.parts]
    match = _DDL_TABLE.match(sql)
    if match is None:
        return None
    return [part.strip().strip('"') for part in re.split(r"\s*\.\s*", match.group(1))]


def query_catalogs(sql: str, engine: str) -> list[str]:
    """Catalogs (PostgreSQL: databases) a query names, lower-cased, in order of appearance."""
    try:
        parsed = sqlglot.parse_one(sql, read="trino" if engine == "trino" else "postgres")
    except SqlglotError:
        return []
    catalogs: list[str] = []
    for table in parsed.find_all(exp.Table):
        if table.catalog and table.catalog.lower() not in catalogs:
            catalogs.append(table.catalog.lower())
    return catalogs


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (both engines).

    >>> quote_identifier('we"ird')
    '"we""ird"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted SQL string literal (both engines).

    >>> quote_literal("o'hare")
    "'o''hare'"
    """
    return "'" + value.replace("'", "''") + "'"


def finite(value: object) -> float | None:
    """``value`` as a finite float, else None (drivers print NaN, Infinity, or nothing)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value)) if not isinstance(value, int | float) else float(value)
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


@dataclass
class ProfileRun:
    """The state shared by the engine-specific collectors: profile, progress and time budget."""

    url: JdbcUrl
    workload: Workload
    settings: Settings
    profile: DatabaseProfile
    on_progress: ProgressCallback | None
    deadline: float
    total_steps: int
    done_steps: int = 0
    stopped: bool = False
    skipped: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        text = scrub(message, self.url)
        self.profile.warnings.append(text)
        log.warning("%s", text)

    def step(self, message: str) -> None:
        self.done_steps += 1
        if self.on_progress is not None:
            try:
                self.on_progress(message, min(1.0, self.done_steps / max(1, self.total_steps)))
            except Exception:  # a broken progress sink must not stop the profile
                log.exception("progress callback failed")

    def out_of_time(self, what: str) -> bool:
        """True (and the work is recorded as skipped) once the profile's time budget is spent."""
        if time.monotonic() < self.deadline:
            return False
        self.stopped = True
        self.skipped.append(what)
        return True


def run_explain(
    connection: ReadOnlyConnection, engine: str, queryid: str, sql: str, explain_prefix: str
) -> tuple[QueryExplain, str | None]:
    """Run ``explain_prefix`` on one read-only-checked workload query.

    Returns the explain holding the plan text and that text, or one holding ``error`` and ``None``.
    """
    try:
        statement = check_read_only(sql, engine)
        text = str(connection.query(f"{explain_prefix} {statement}").rows[0][0])
    except (JdbcError, ReadOnlyViolation) as exc:
        return QueryExplain(queryid=queryid, error=str(exc)), None
    return QueryExplain(queryid=queryid, plan=text), text


def profile_budget(settings: Settings) -> float:
    """Seconds the whole profile may take: a third of the task's limit, at most 5 minutes."""
    return max(10.0, min(300.0, settings.task_time_limit / 3))


def collect_profile(
    url: str,
    workload: Workload,
    settings: Settings,
    *,
    on_progress: ProgressCallback | None = None,
    budget_seconds: float | None = None,
) -> DatabaseProfile:
    """Profile the database at ``url`` for ``workload`` (blocking; never raises for a database problem)."""
    try:
        parsed = parse_jdbc_url(url)
    except JdbcUrlError as exc:
        return DatabaseProfile(
            warnings=[f"the JDBC URL cannot be used ({exc}); planned from the DDL and workload alone"]
        )
    profile = DatabaseProfile(engine=parsed.engine)
    tables = ddl_tables(workload, parsed.engine)
    budget = profile_budget(settings) if budget_seconds is None else budget_seconds
    run = ProfileRun(
        url=parsed,
        workload=workload,
        settings=settings,
        profile=profile,
        on_progress=on_progress,
        deadline=time.monotonic() + budget,
        total_steps=1 + len(tables) + len(workload.queries),
    )
    started = time.monotonic()
    try:
        if parsed.engine == "trino":
            from jobs.jdbc.profile_trino import collect_trino

            collect_trino(run, tables)
        else:
            from jobs.jdbc.profile_postgres import collect_postgres

            collect_postgres(run, tables)
    except Exception as exc:  # the profile is optional: whatever went wrong, the task goes on
        log.debug("profile failed", exc_info=True)
        run.warn(f"profiling {parsed.redacted()} failed: {type(exc).__name__}: {exc}")
    if run.stopped:
        run.warn(
            f"the database profile stopped after its {budget:.0f}s budget; not profiled: "
            + ", ".join(run.skipped[:20])
            + (f" and {len(run.skipped) - 20} more" if len(run.skipped) > 20 else "")
        )
    log.info(
        "profiled %s: %d tables, %d explains, %d warnings in %.1fs",
        parsed.redacted(),
        len(profile.tables),
        len(profile.explains),
        len(profile.warnings),
        time.monotonic() - started,
    )
    return profile


async def collect_profile_async(
    url: str,
    workload: Workload,
    settings: Settings,
    *,
    on_progress: ProgressCallback | None = None,
    budget_seconds: float | None = None,
) -> DatabaseProfile:
    """:func:`collect_profile` in a worker thread (``on_progress`` is called from that thread)."""
    return await asyncio.to_thread(
        collect_profile, url, workload, settings, on_progress=on_progress, budget_seconds=budget_seconds
    )
