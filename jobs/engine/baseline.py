"""The baseline plan: every source table copied 1:1 into the new schema (as ORC, or Parquet
for float-heavy tables: see :func:`jobs.engine.plan.file_format`), every query
requalified. It is the floor every rule improves on and the fallback when a rule's output fails
validation.
"""

from __future__ import annotations

from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.requalify import ParsedQuery
from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.plan import NewColumn, NewTable, Plan, PlannedQuery
from jobs.sql.dialect import POSTGRES
from jobs.sql.quoting import quote_name

#: Trino 476's Iceberg connector has no per-table codec property: ZSTD is the catalog's setting.
ZSTD_NOTE = (
    "storage: tables are written as ORC (smaller than Trino's Parquet), tables whose columns are at least "
    "a fifth DOUBLE/REAL as Parquet (smaller for floating-point data); compression is the catalog's "
    "iceberg.compression-codec "
    "(ZSTD is Trino's default; keep it)"
)


def copy_table(source: SourceTable, namespaces: Namespaces) -> NewTable:
    """The 1:1 copy of ``source``, filled by an explicit column list (no ``SELECT *``)."""
    catalog, schema = namespaces.new_namespace(source)
    columns = tuple(NewColumn(c.name.lower(), c.type_sql, c.not_null) for c in source.columns)
    select_list = ", ".join(quote_name(c.name) for c in columns)
    return NewTable(
        catalog=catalog,
        schema=schema,
        name=source.name.lower(),
        columns=columns,
        fill_select=f"SELECT {select_list} FROM {source.qualified}",
        source=source,
        # A layout the source already declares is kept: dropping it could only make reads slower.
        partitioning=source.partitioning,
        sorted_by=source.sorted_by,
    )


def baseline_plan(namespaces: Namespaces, queries: list[ParsedQuery]) -> Plan:
    """Copy every source table, requalify every query (input order, every queryid kept)."""
    schemas = tuple(dict.fromkeys(namespaces.new_namespace(t) for t in namespaces.tables))
    tables = tuple(copy_table(t, namespaces) for t in namespaces.tables)
    planned = tuple(PlannedQuery(q.queryid, q.requalified) for q in queries)
    if namespaces.dialect == POSTGRES:
        return Plan(schemas=schemas, tables=tables, queries=planned, dialect=POSTGRES)
    return Plan(schemas=schemas, tables=tables, queries=planned, warnings=(ZSTD_NOTE,))
