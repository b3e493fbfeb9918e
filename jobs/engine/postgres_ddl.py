"""A plan rendered for PostgreSQL: the contract's statements in PostgreSQL's own DDL.

* ``CREATE SCHEMA new_schema``: PostgreSQL names a schema with one part (the database is the
  connection's); every table reference stays ``database.schema.table``, which PostgreSQL accepts
  for the current database.
* Copies declare their types, ``NOT NULL`` and the primary key (PostgreSQL enforces them, and the
  planner uses the key's uniqueness); no sequence is copied for ``serial`` columns (see
  :mod:`jobs.engine.model.source_ddl`).
* A range-partitioned copy (:mod:`jobs.engine.rules.pg_partitions`) is ``PARTITION BY RANGE``
  without a primary key, followed by one ``PARTITION OF`` table per period and a ``DEFAULT`` one;
  INSERTs into it are routed to them.
* Derived tables are materialized views ``WITH NO DATA``, filled by ``REFRESH MATERIALIZED VIEW``.
* Indexes are created in the DDL, on the still empty tables; after the fills every new relation
  is ``ANALYZE``d, so the first query is planned from statistics rather than defaults.
"""

from __future__ import annotations

import hashlib

from jobs.contract.result import PlanResult, RewrittenQuery, Statement
from jobs.engine import plan as trino_plan
from jobs.engine.plan import NewIndex, NewTable, Plan
from jobs.sql.dialect import POSTGRES
from jobs.sql.quoting import qualified, quote_literal, quote_name

#: PostgreSQL truncates identifiers to 63 bytes.
MAX_NAME = 63


def create_table(table: NewTable) -> str:
    """``CREATE TABLE`` of a copy, or ``CREATE MATERIALIZED VIEW ... WITH NO DATA`` of a derived table."""
    if table.kind != "copy":
        return f"CREATE MATERIALIZED VIEW {table.qualified} AS {table.fill_select} WITH NO DATA"
    columns = [f"{quote_name(c.name)} {c.type_sql}{' NOT NULL' if c.not_null else ''}" for c in table.columns]
    if table.range_partitions is not None:
        key = quote_name(table.range_partitions.column)
        return f"CREATE TABLE {table.qualified} ({', '.join(columns)}) PARTITION BY RANGE ({key})"
    if table.source.primary_key:
        columns.append(f"PRIMARY KEY ({', '.join(quote_name(k) for k in table.source.primary_key)})")
    return f"CREATE TABLE {table.qualified} ({', '.join(columns)})"


def _short_name(base: str) -> str:
    if len(base.encode()) <= MAX_NAME:
        return base
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    return f"{base.encode()[: MAX_NAME - 9].decode(errors='ignore')}_{digest}"


def partition_tables(table: NewTable) -> list[str]:
    """The ``PARTITION OF`` statements of a range-partitioned copy: a table per period, then DEFAULT.

    >>> from jobs.engine.plan import RangePartitions
    >>> from jobs.engine.model.source_ddl import SourceTable
    >>> t = NewTable("d", "s_opt", "ev", (), "", SourceTable("d", "s", "ev", ()),
    ...              range_partitions=RangePartitions("at", "month", ("2024-01-01", "2024-02-01", "2024-03-01")))
    >>> for statement in partition_tables(t): print(statement)
    CREATE TABLE d.s_opt.ev_p2024_01 PARTITION OF d.s_opt.ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
    CREATE TABLE d.s_opt.ev_p2024_02 PARTITION OF d.s_opt.ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')
    CREATE TABLE d.s_opt.ev_default PARTITION OF d.s_opt.ev DEFAULT
    """
    partitions = table.range_partitions
    if partitions is None:
        return []
    statements = []
    for low, high in zip(partitions.bounds, partitions.bounds[1:], strict=False):
        suffix = low[:4] if partitions.period == "year" else f"{low[:4]}_{low[5:7]}"
        name = qualified(table.catalog, table.schema, _short_name(f"{table.name}_p{suffix}"))
        statements.append(
            f"CREATE TABLE {name} PARTITION OF {table.qualified} "
            f"FOR VALUES FROM ({quote_literal(low)}) TO ({quote_literal(high)})"
        )
    default = qualified(table.catalog, table.schema, _short_name(f"{table.name}_default"))
    statements.append(f"CREATE TABLE {default} PARTITION OF {table.qualified} DEFAULT")
    return statements


def fill(table: NewTable) -> str:
    if table.kind != "copy":
        return f"REFRESH MATERIALIZED VIEW {table.qualified}"
    return table.insert_sql()


def index_name(index: NewIndex, taken: set[str]) -> str:
    """A name unique in the schema, readable (``orders_o_custkey_idx``) and at most 63 bytes.

    >>> taken: set[str] = set()
    >>> [index_name(NewIndex(("d", "s", "orders"), ("o_custkey",)), taken) for _ in range(2)]
    ['orders_o_custkey_idx', 'orders_o_custkey_idx_2']
    """
    suffix = "brin" if index.method == "brin" else "idx"
    base = _short_name("_".join((index.table[2], *index.columns, suffix)))
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base[: MAX_NAME - 4]}_{counter}"
    taken.add(name)
    return name


def create_index(index: NewIndex, qualified_table: str, name: str) -> str:
    using = f" USING {index.method}" if index.method != "btree" else ""
    sql = f"CREATE INDEX {quote_name(name)} ON {qualified_table}{using} ({', '.join(map(quote_name, index.columns))})"
    if index.include:
        sql += f" INCLUDE ({', '.join(map(quote_name, index.include))})"
    if index.where:
        sql += f" WHERE {index.where}"
    return sql


def render(plan: Plan) -> PlanResult:
    """The contract JSON for PostgreSQL: schemas, tables, indexes; fills, then ANALYZE; queries."""
    ddl = [Statement(statement=f"CREATE SCHEMA {quote_name(schema)}") for _, schema in plan.schemas]
    for new in plan.tables:
        ddl.append(Statement(statement=create_table(new)))
        ddl.extend(Statement(statement=s) for s in partition_tables(new))
    by_key = {t.key: t for t in plan.tables}
    taken: set[str] = set()
    for index in plan.indexes:
        table = by_key.get(index.table)
        if table is not None:
            ddl.append(Statement(statement=create_index(index, table.qualified, index_name(index, taken))))
    migrations = [Statement(statement=fill(t)) for t in plan.tables]
    migrations.extend(Statement(statement=f"ANALYZE {t.qualified}") for t in plan.tables)
    queries = [RewrittenQuery(queryid=q.queryid, query=q.text) for q in plan.queries]
    return PlanResult(ddl=ddl, migrations=migrations, queries=queries)


def render_plan(plan: Plan) -> PlanResult:
    """The contract JSON in the plan's own dialect."""
    return render(plan) if plan.dialect == POSTGRES else trino_plan.render(plan)
