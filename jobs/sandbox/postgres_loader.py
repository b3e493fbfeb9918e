"""``lakeopt sandbox --engine postgres load``: a PostgreSQL workload's tables, created and filled
with generated rows in the PostgreSQL sandbox (or any PostgreSQL the user may write to).

The DDL runs as written (PostgreSQL's dialect: ``serial``, primary keys, two-part names resolved
in the URL's database, one-part in ``public``); each table is dropped first, so loading is
idempotent. Rows come from the same generator as the Trino sandbox's, spelled for PostgreSQL
(:data:`jobs.sandbox.generator_sql.POSTGRES_SQL`); a declared single-column primary key is the
row number. Every table is ``ANALYZE``d, so the profile and the planner see statistics.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from jobs.contract.workload import Workload
from jobs.db.connection import JdbcError, WritableConnection
from jobs.engine.errors import PlanningError
from jobs.engine.model.source_ddl import SourceTable, read_source_tables
from jobs.sandbox.data_generator import TableGenerator
from jobs.sandbox.data_shape import Column, TableSpec, plan_shape
from jobs.sandbox.generator_sql import POSTGRES_SQL
from jobs.sandbox.query_facts import ColumnRef, QueryFacts, collect_query_facts
from jobs.sandbox.workload_loader import ROWS_PER_SCALE, LoadError, LoadReport, TableLoad
from jobs.sql.quoting import quote_literal, quote_name

_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {schema} AND c.relname = {table} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def generator_type(pg_type: str) -> str:
    """A PostgreSQL column type in the generator's (Trino's) words.

    >>> [generator_type(t) for t in ("character varying(20)", "text", "numeric(10,2)", "double precision",
    ...  "timestamp without time zone", "integer", "character(1)")]
    ['varchar(20)', 'varchar', 'decimal(10,2)', 'double', 'timestamp(6)', 'integer', 'char(1)']
    """
    pg_type = pg_type.lower()
    for pattern, replacement in (
        (r"character varying(\(\d+\))?", r"varchar\1"),
        (r"text|name|citext", "varchar"),
        (r"character(\(\d+\))", r"char\1"),
        (r"numeric$", "decimal(38,6)"),
        (r"numeric(\(\d+,\s*\d+\))", r"decimal\1"),
        (r"double precision", "double"),
        (r"timestamp(\(\d\))? without time zone", "timestamp(6)"),
        (r"timestamp(\(\d\))? with time zone", "timestamp(6) with time zone"),
    ):
        if re.fullmatch(pattern, pg_type):
            return re.sub(pattern, replacement, pg_type)
    return pg_type


def _renamed(facts: QueryFacts, names: dict[str, str]) -> QueryFacts:
    """``facts`` with each table as the queries spelled it (``orders``, ``shop.orders``) renamed."""

    def ref(column: ColumnRef) -> ColumnRef:
        return names.get(column[0], column[0]), column[1]

    facts.join_pairs = {frozenset(ref(c) for c in pair) for pair in facts.join_pairs}
    return facts


def _spellings(source: SourceTable) -> list[str]:
    schema, table = source.schema.lower(), source.name.lower()
    spellings = [f"{source.catalog.lower()}.{schema}.{table}", f"{schema}.{table}"]
    return [*spellings, table] if schema == "public" else spellings


def load_postgres(
    connection: WritableConnection,
    url: str,
    workload: Workload,
    scale: float,
    *,
    on_table: Callable[[TableLoad], None] | None = None,
) -> LoadReport:
    """Create and fill every table of the PostgreSQL ``workload`` on ``connection`` (opened to ``url``) at ``scale``."""
    if not scale > 0:
        raise LoadError(f"scale must be positive, got {scale}")
    started = time.monotonic()
    workload = workload.model_copy(update={"url": url})  # names resolve in this database
    try:
        sources = read_source_tables(workload)
    except PlanningError as exc:
        raise LoadError(str(exc)) from None
    database = connection.url.database or ""
    specs: list[TableSpec] = []
    names: dict[str, str] = {}
    keys: set[ColumnRef] = set()
    for index, (source, ddl) in enumerate(zip(sources, workload.ddl, strict=True)):
        if source.catalog.lower() != database.lower():
            raise LoadError(f"ddl[{index}] names database {source.catalog!r}; the URL's is {database!r}")
        name = f"{source.schema.lower()}.{source.name.lower()}"
        qualified = f"{quote_name(source.schema)}.{quote_name(source.name)}"
        try:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(source.schema)}")
            connection.execute(f"DROP TABLE IF EXISTS {qualified} CASCADE")
            connection.execute(ddl.statement.strip().rstrip(";"))
            columns = connection.query(
                _COLUMNS_SQL.format(schema=quote_literal(source.schema), table=quote_literal(source.name))
            ).rows
        except JdbcError as exc:
            raise LoadError(f"ddl[{index}] failed on PostgreSQL: {exc}") from None
        specs.append(TableSpec(name, tuple(Column(str(c), generator_type(str(t)), bool(n)) for c, t, n in columns)))
        names.update(dict.fromkeys(_spellings(source), name))
        if len(source.primary_key) == 1:
            keys.add((name, source.primary_key[0]))
    facts = _renamed(collect_query_facts([q.query for q in workload.queries], dialect="postgres"), names)
    shape = plan_shape(specs, facts, max(1, round(scale * ROWS_PER_SCALE)), frozenset(keys))
    report = LoadReport(scale=scale)
    for spec in specs:
        table_started = time.monotonic()
        try:
            connection.execute(TableGenerator(spec, shape, shape.rows[spec.name], POSTGRES_SQL).insert_sql())
            connection.execute(f"ANALYZE {spec.name}")
            rows = int(str(connection.query(f"SELECT count(*) FROM {spec.name}").rows[0][0]))
            size = int(str(connection.query(f"SELECT pg_total_relation_size({quote_literal(spec.name)})").rows[0][0]))
        except JdbcError as exc:
            raise LoadError(f"filling {spec.name} failed: {exc}") from None
        load = TableLoad(spec.name, "generated", rows, size, time.monotonic() - table_started)
        report.tables.append(load)
        if on_table is not None:
            on_table(load)
    report.seconds = time.monotonic() - started
    return report
