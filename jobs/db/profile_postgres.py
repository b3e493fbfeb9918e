"""PostgreSQL statistics: ``pg_class``/``pg_stats``, ``pg_total_relation_size``, ``EXPLAIN (FORMAT JSON)``.

DDL names are ``database.schema.table``: each database (the catalog slot) gets its own
connection, with the URL's server and credentials.
"""

from __future__ import annotations

import json
from typing import Any

from jobs.contract.profile import ColumnProfile, QueryExplain, TableProfile
from jobs.db.connection import JdbcError, ReadOnlyConnection, connect
from jobs.db.hypopg import collect_index_costs
from jobs.db.profile_run import ProfileRun, TableName, finite, query_catalogs, run_explain
from jobs.sql.quoting import quote_literal

_TABLE_SQL = """
SELECT c.reltuples::float8, CASE WHEN c.relkind = 'p'
  THEN (SELECT COALESCE(sum(pg_total_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
  ELSE pg_total_relation_size(c.oid) END::int8
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {schema} AND c.relname = {table} AND c.relkind IN ('r', 'p', 'm', 'f')
"""
_COLUMNS_SQL = """
SELECT DISTINCT ON (a.attnum) a.attname, format_type(a.atttypid, a.atttypmod) AS type_name,
       s.null_frac::float8, s.n_distinct::float8, s.avg_width::float8, s.correlation::float8,
       (s.histogram_bounds IS NOT NULL OR s.most_common_vals IS NOT NULL) AS has_values
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
WHERE n.nspname = {schema} AND c.relname = {table} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum, s.inherited DESC
"""
# Lowest/highest value ANALYZE saw (histogram bounds and most common values), compared in the column's type.
_MIN_MAX_SQL = """
SELECT min(v)::text, max(v)::text FROM (
  SELECT unnest(s.histogram_bounds::text::{type}[]) AS v FROM pg_catalog.pg_stats s WHERE {where}
  UNION ALL
  SELECT unnest(s.most_common_vals::text::{type}[]) FROM pg_catalog.pg_stats s WHERE {where}
) AS x
"""


class _Databases:
    """One connection per database, opened on first use; a refused login stops them all."""

    def __init__(self, run: ProfileRun) -> None:
        self.run = run
        self.open: dict[str, ReadOnlyConnection | None] = {}
        self.refused = False

    def get(self, database: str) -> ReadOnlyConnection | None:
        if database in self.open:
            return self.open[database]
        if self.refused:
            return None
        url = self.run.url.with_catalog(database)
        connection: ReadOnlyConnection | None = None
        try:
            connection = connect(url, self.run.settings)
            connection.query("SELECT 1")
        except Exception as exc:
            if connection is not None:
                connection.close()
            connection = None
            if f'database "{database}" does not exist' in str(exc):
                self.run.warn(f"the database {database} does not exist on {url.redacted()}")
            else:
                self.refused = True
                self.run.warn(f"cannot connect to {url.redacted()}: {exc}; planned from the DDL and workload alone")
        self.open[database] = connection
        return connection

    def close(self) -> None:
        for connection in self.open.values():
            if connection is not None:
                connection.close()


def collect_postgres(run: ProfileRun, tables: list[TableName]) -> None:
    databases = _Databases(run)
    default = run.url.database or (tables[0].catalog if tables else None) or run.url.user or "postgres"
    known = {name.catalog for name in tables} | {default}
    try:
        if databases.get(tables[0].catalog if tables else default) is None and databases.refused:
            return
        run.step("connected")
        for name in tables:
            connection = databases.get(name.catalog)
            if connection is not None and not run.out_of_time(name.qualified):
                table = _table_profile(connection, run, name)
                if table is not None:
                    run.profile.tables[name.qualified] = table
            run.step(f"statistics of {name.qualified}")
        for query in run.workload.queries:
            if run.out_of_time(f"query {query.queryid}"):
                continue
            named = [catalog for catalog in query_catalogs(query.query, "postgresql") if catalog in known]
            connection = databases.get(named[0] if named else default)
            if connection is None:
                run.profile.explains[query.queryid] = QueryExplain(
                    queryid=query.queryid, error="no connection to the query's database"
                )
            else:
                run.profile.explains[query.queryid] = explain_postgres(connection, query.queryid, query.query)
            run.step(f"EXPLAIN of query {query.queryid}")
        connection = databases.get(tables[0].catalog if tables else default)
        if connection is not None and run.settings.what_if and not run.stopped:
            run.profile.index_costs = collect_index_costs(connection, run)
    finally:
        databases.close()


def _table_profile(connection: ReadOnlyConnection, run: ProfileRun, name: TableName) -> TableProfile | None:
    where = {"schema": quote_literal(name.schema), "table": quote_literal(name.table)}
    try:
        rows = connection.query(_TABLE_SQL.format(**where)).rows
        if not rows:
            run.warn(f"the table {name.qualified} does not exist in the database")
            return None
        reltuples, size = rows[0]
        columns = connection.query(_COLUMNS_SQL.format(**where)).dicts()
    except JdbcError as exc:
        run.warn(f"no statistics for {name.qualified}: {exc}")
        return None
    row_count = finite(reltuples)
    if row_count is not None and row_count < 0:
        row_count = None  # -1: never VACUUMed or ANALYZEd
        run.warn(f"{name.qualified} has never been analyzed: row count and column statistics unknown")
    table = TableProfile(name=name.qualified, row_count=row_count, size_bytes=int(size) if size is not None else None)
    for column in columns:
        table.columns[str(column["attname"]).lower()] = _column_profile(connection, name, column, row_count)
    return table


def _column_profile(
    connection: ReadOnlyConnection, name: TableName, column: dict[str, Any], row_count: float | None
) -> ColumnProfile:
    attname = str(column["attname"])
    n_distinct = finite(column["n_distinct"])
    width = finite(column["avg_width"])
    profile = ColumnProfile(
        name=attname.lower(),
        null_fraction=finite(column["null_frac"]),
        # Negative n_distinct is a fraction of the rows (it grows with the table).
        distinct_values=(
            None
            if n_distinct is None
            else n_distinct
            if n_distinct >= 0
            else (-n_distinct * row_count if row_count is not None else None)
        ),
        data_size=width * row_count if width is not None and row_count is not None else None,
        correlation=finite(column["correlation"]),
    )
    if column["has_values"]:
        where = (
            f"s.schemaname = {quote_literal(name.schema)} AND s.tablename = {quote_literal(name.table)} "
            f"AND s.attname = {quote_literal(attname)}"
        )
        try:
            rows = connection.query(_MIN_MAX_SQL.format(type=column["type_name"], where=where)).rows
            if rows:
                profile.min_value, profile.max_value = rows[0]
        except JdbcError:
            pass  # a type without an ordering (json, point...): no min/max
    return profile


def explain_postgres(connection: ReadOnlyConnection, queryid: str, sql: str) -> QueryExplain:
    """``EXPLAIN (FORMAT JSON)`` of one workload query; failures go into ``error``."""
    explain, text = run_explain(connection, "postgresql", queryid, sql, "EXPLAIN (FORMAT JSON)")
    if text is None:
        return explain
    try:
        plan = json.loads(text)[0]["Plan"]
    except (ValueError, LookupError, TypeError):
        return explain
    explain.estimated_rows = finite(plan.get("Plan Rows"))
    width = finite(plan.get("Plan Width"))
    if explain.estimated_rows is not None and width is not None:
        explain.estimated_bytes = explain.estimated_rows * width
    return explain
