"""Trino statistics: ``SHOW STATS FOR``, Iceberg ``"t$files"`` sizes, ``EXPLAIN (TYPE IO, FORMAT JSON)``."""

from __future__ import annotations

import json

from jobs.contract.profile import ColumnProfile, QueryExplain, TableProfile
from jobs.db.connection import JdbcError, ReadOnlyConnection, connect
from jobs.db.profile_run import ProfileRun, TableName, finite, run_explain
from jobs.sql.quoting import quote_name


def _table_sql(name: TableName, suffix: str = "") -> str:
    return ".".join(quote_name(part) for part in (name.catalog, name.schema, name.table + suffix))


def collect_trino(run: ProfileRun, tables: list[TableName]) -> None:
    try:
        connection = connect(run.url, run.settings)
    except Exception as exc:
        run.warn(f"cannot connect to {run.url.redacted()}: {exc}; planned from the DDL and workload alone")
        return
    with connection:
        for note in connection.notes:
            run.warn(note)
        try:
            # trino-jdbc connects lazily: this is the first time the server is contacted.
            connection.query("SELECT 1")
        except JdbcError as exc:
            run.warn(f"cannot query {run.url.redacted()}: {exc}; planned from the DDL and workload alone")
            return
        run.step("connected")
        connectors = _connectors(connection, run)
        for name in tables:
            if run.out_of_time(name.qualified):
                continue
            table = _table_profile(connection, run, name, connectors.get(name.catalog))
            if table is not None:
                run.profile.tables[name.qualified] = table
            run.step(f"statistics of {name.qualified}")
        for query in run.workload.queries:
            if run.out_of_time(f"query {query.queryid}"):
                continue
            run.profile.explains[query.queryid] = explain_trino(connection, query.queryid, query.query)
            run.step(f"EXPLAIN of query {query.queryid}")


def _connectors(connection: ReadOnlyConnection, run: ProfileRun) -> dict[str, str]:
    try:
        rows = connection.query("SELECT catalog_name, connector_name FROM system.metadata.catalogs").rows
    except JdbcError as exc:
        run.warn(f"cannot list the Trino catalogs: {exc}")
        return {}
    return {str(catalog).lower(): str(connector).lower() for catalog, connector in rows}


def _table_profile(
    connection: ReadOnlyConnection, run: ProfileRun, name: TableName, connector: str | None
) -> TableProfile | None:
    try:
        stats = connection.query(f"SHOW STATS FOR {_table_sql(name)}").dicts()
    except JdbcError as exc:
        run.warn(f"no statistics for {name.qualified}: {exc}")
        return None
    table = TableProfile(name=name.qualified)
    for row in stats:
        column = row.get("column_name")
        if column is None:
            table.row_count = finite(row.get("row_count"))
            continue
        key = str(column).lower()
        table.columns[key] = ColumnProfile(
            name=key,
            data_size=finite(row.get("data_size")),
            distinct_values=finite(row.get("distinct_values_count")),
            null_fraction=finite(row.get("nulls_fraction")),
            min_value=None if row.get("low_value") is None else str(row["low_value"]),
            max_value=None if row.get("high_value") is None else str(row["high_value"]),
        )
    if connector == "iceberg":
        try:
            rows = connection.query(f"SELECT sum(file_size_in_bytes) FROM {_table_sql(name, '$files')}").rows
            total = finite(rows[0][0]) if rows else None
            table.size_bytes = int(total) if total is not None else 0
        except JdbcError as exc:
            run.warn(f"no stored size for {name.qualified}: {exc}")
    return table


def explain_trino(connection: ReadOnlyConnection, queryid: str, sql: str) -> QueryExplain:
    """``EXPLAIN (TYPE IO, FORMAT JSON)`` of one workload query; failures go into ``error``."""
    explain, text = run_explain(connection, "trino", queryid, sql, "EXPLAIN (TYPE IO, FORMAT JSON)")
    if text is None:
        return explain
    try:
        estimate = json.loads(text).get("estimate") or {}
    except (ValueError, AttributeError):
        return explain
    explain.estimated_rows = finite(estimate.get("outputRowCount"))
    explain.estimated_bytes = finite(estimate.get("outputSizeInBytes"))
    return explain
