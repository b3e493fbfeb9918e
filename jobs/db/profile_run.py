"""The state the per-engine profile collectors share: the run, its budget and progress, EXPLAIN."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.contract.profile import DatabaseProfile, QueryExplain
from jobs.contract.progress import Progress
from jobs.contract.workload import Workload
from jobs.db.connection import JdbcError, ReadOnlyConnection
from jobs.db.guard import ReadOnlyViolation, check_read_only
from jobs.engine.model.source_ddl import session_namespace
from jobs.settings import Settings
from jobs.sql.jdbc_url import JdbcUrl, scrub
from jobs.sql.statements import created_table_parts

log = logging.getLogger(__name__)


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

    >>> from jobs.contract.workload import parse_workload
    >>> w = parse_workload({"ddl": [{"statement": 'CREATE TABLE C.s."T" (a int) WITH (format = \\'PARQUET\\');'},
    ...                             {"statement": "create table if not exists c.s.u (b int)"}],
    ...                     "queries": [{"queryid": "q", "query": "SELECT 1"}]})
    >>> [t.qualified for t in ddl_tables(w, "trino")]
    ['c.s.t', 'c.s.u']
    >>> w = parse_workload({"url": "jdbc:postgresql://h/shop",
    ...                     "ddl": [{"statement": "CREATE TABLE public.orders (a int)"},
    ...                             {"statement": "CREATE TABLE items (b int)"}],
    ...                     "queries": [{"queryid": "q", "query": "SELECT 1"}]})
    >>> [t.qualified for t in ddl_tables(w, "postgresql")]
    ['shop.public.orders', 'shop.public.items']
    """
    dialect = "trino" if engine == "trino" else "postgres"
    database = session_namespace(workload.url) if engine != "trino" else (None, None)
    seen: dict[str, TableName] = {}
    for statement in workload.ddl:
        parts = created_table_parts(statement.statement, dialect)
        if parts is not None and database[0] is not None and database[1] is not None and len(parts) < 3:
            # PostgreSQL spells tables schema.table (or table, found in public): in the URL's database.
            parts = [database[0], *([database[1]] if len(parts) == 1 else []), *parts]
        if parts is None or len(parts) < 3:
            continue  # not fully qualified: nothing to look up (the engine reports it)
        name = TableName(*(part.lower() for part in parts[-3:]))
        seen.setdefault(name.qualified, name)
    return list(seen.values())


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
    on_progress: Progress | None
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
                self.on_progress(min(1.0, self.done_steps / max(1, self.total_steps)), message)
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
