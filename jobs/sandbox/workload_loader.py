"""``lakeopt sandbox load``: create a workload's tables in the sandbox and fill them.

TPC-DS tables come from Trino's ``tpcds`` connector (columns matched by name, cast to the DDL's
types); every other table from :mod:`jobs.sandbox.data_generator`. Loading is idempotent: each
table is dropped and recreated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from jobs.contract.workload import Workload
from jobs.db.trino_client import TrinoClient, TrinoQueryError, stored_bytes
from jobs.sandbox.data_generator import TableGenerator
from jobs.sandbox.data_shape import Column, TableSpec, plan_shape
from jobs.sandbox.query_facts import collect_query_facts
from jobs.sql.statements import clean_statement
from jobs.sql.statements import created_table as _created_table

log = logging.getLogger(__name__)

#: Rows of the largest generated tables at scale 1 (flights at scale 10 = 10M rows).
ROWS_PER_SCALE = 1_000_000
#: The scale CI and the test-suite load: tiny, so a 2-core machine loads all workloads in about a minute.
CI_SCALE = 0.01
PARALLEL_INSERTS = 3


class LoadError(RuntimeError):
    """The workload cannot be loaded; the message names the statement or table."""


@dataclass
class TableLoad:
    name: str
    source: str
    rows: int
    bytes: int
    seconds: float


@dataclass
class LoadReport:
    scale: float
    tables: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def total_bytes(self) -> int:
        return sum(t.bytes for t in self.tables)


def tpcds_schema(scale: float) -> str:
    """The ``tpcds`` connector schema for a scale: ``tiny`` (sf 0.01) below 1, else ``sf<N>``.

    >>> tpcds_schema(0.01), tpcds_schema(1), tpcds_schema(10.0)
    ('tiny', 'sf1', 'sf10')
    """
    return "tiny" if scale < 1 else f"sf{int(scale)}"


def created_table(statement: str) -> str:
    """The fully qualified table a ``CREATE TABLE`` creates (lower case), or :class:`LoadError`."""
    table = _created_table(statement)
    if table is None:
        raise LoadError(f"DDL statement is not a CREATE TABLE catalog.schema.table: {statement[:120]!r}")
    return table


def table_specs(client: TrinoClient, tables: list[str]) -> list[TableSpec]:
    """Column names and Trino types of ``tables``, one information_schema query per schema."""
    columns: dict[str, list[Column]] = {}
    for catalog, schema in dict.fromkeys(tuple(t.split(".")[:2]) for t in tables):
        rows = client.execute(
            f"SELECT table_name, column_name, data_type, is_nullable FROM {catalog}.information_schema.columns "
            f"WHERE table_schema = '{schema}' ORDER BY table_name, ordinal_position"
        ).rows
        for table, column, data_type, nullable in rows:
            column_spec = Column(str(column), str(data_type), str(nullable).upper() == "NO")
            columns.setdefault(f"{catalog}.{schema}.{table}", []).append(column_spec)
    return [TableSpec(t, tuple(columns.get(t, ()))) for t in tables]


def _tpcds_columns(client: TrinoClient, schema: str) -> dict[str, set[str]]:
    rows = client.execute(
        f"SELECT table_name, column_name FROM tpcds.information_schema.columns WHERE table_schema = '{schema}'"
    ).rows
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), set()).add(str(column))
    return tables


def tpcds_insert_sql(spec: TableSpec, source: str, available: set[str]) -> str:
    """Copy from the tpcds connector, casting each column to the DDL's type (NULL when absent).

    >>> tpcds_insert_sql(TableSpec("c.s.t", (Column("a", "integer"), Column("z", "date"))), "tpcds.tiny.t", {"a"})
    'INSERT INTO c.s.t ("a", "z") SELECT CAST("a" AS integer), CAST(NULL AS date) FROM tpcds.tiny.t'
    """
    names = ", ".join(f'"{c.name}"' for c in spec.columns)
    values = ", ".join(
        f'CAST("{c.name}" AS {c.type})' if c.name in available else f"CAST(NULL AS {c.type})" for c in spec.columns
    )
    return f"INSERT INTO {spec.name} ({names}) SELECT {values} FROM {source}"


def create_tables(client: TrinoClient, workload: Workload) -> list[str]:
    """Run the workload's DDL idempotently (schemas created, tables dropped and recreated)."""
    catalogs = {str(row[0]) for row in client.execute("SHOW CATALOGS").rows}
    tables: list[str] = []
    schemas: set[str] = set()
    for index, ddl in enumerate(workload.ddl):
        statement = clean_statement(ddl.statement)
        table = created_table(statement)
        catalog, schema, _ = table.split(".")
        if catalog not in catalogs:
            raise LoadError(
                f"ddl[{index}] uses catalog {catalog!r}, which the sandbox does not have "
                f"(it has {', '.join(sorted(catalogs))}); add it to the sandbox's Iceberg catalogs"
            )
        if f"{catalog}.{schema}" not in schemas:
            client.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.{schema}")
            schemas.add(f"{catalog}.{schema}")
        client.execute(f"DROP TABLE IF EXISTS {table}")
        try:
            client.execute(statement)
        except TrinoQueryError as exc:
            raise LoadError(f"ddl[{index}] failed on Trino: {exc}") from exc
        tables.append(table)
    return tables


def load_workload(
    client: TrinoClient,
    workload: Workload,
    scale: float = CI_SCALE,
    *,
    on_table: Callable[[TableLoad], None] | None = None,
) -> LoadReport:
    """Create and fill every table of ``workload`` at ``scale`` (see :data:`ROWS_PER_SCALE`)."""
    if not scale > 0:
        raise LoadError(f"scale must be positive, got {scale}")
    started = time.monotonic()
    tables = create_tables(client, workload)
    specs = table_specs(client, tables)
    base_rows = max(1, round(scale * ROWS_PER_SCALE))
    tpcds_source = tpcds_schema(scale)
    tpcds = _tpcds_columns(client, tpcds_source)
    facts = collect_query_facts([q.query for q in workload.queries])
    shape = plan_shape(specs, facts, base_rows)

    def fill(spec: TableSpec) -> TableLoad:
        table_started = time.monotonic()
        short = spec.name.rsplit(".", 1)[-1]
        available = tpcds.get(short, set())
        from_tpcds = len(available & {c.name for c in spec.columns}) >= max(1, len(spec.columns) // 2)
        if from_tpcds:
            sql, source = tpcds_insert_sql(spec, f"tpcds.{tpcds_source}.{short}", available), f"tpcds.{tpcds_source}"
        else:
            sql, source = TableGenerator(spec, shape, shape.rows[spec.name]).insert_sql(), "generated"
        try:
            result = client.execute(sql)
        except TrinoQueryError as exc:
            raise LoadError(f"filling {spec.name} failed: {exc}") from exc
        rows = int(result.rows[0][0]) if result.rows else 0
        return TableLoad(spec.name, source, rows, stored_bytes(client, spec.name), time.monotonic() - table_started)

    report = LoadReport(scale=scale)
    # Small inserts are dominated by per-query latency; a few at once keep both cores busy.
    with ThreadPoolExecutor(max_workers=PARALLEL_INSERTS) as pool:
        for load in pool.map(fill, specs):
            report.tables.append(load)
            if on_table is not None:
                on_table(load)
    report.seconds = time.monotonic() - started
    return report
