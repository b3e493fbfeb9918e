"""The static half of the gate: is a proposed rewrite one read-only Trino query over the new schema?

The other half is the :class:`jobs.llm.equivalence.EquivalenceChecker`, which runs both queries and compares rows.
Every check here is conservative: anything it cannot prove safe is rejected with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from jobs.contract.result import Statement
from jobs.engine.model.requalify import is_cte_reference
from jobs.sql.dialect import POSTGRES
from jobs.sql.statements import WRITING_NODES, created_object, parse_statement

DIALECT = "trino"


#: Node types that change data or metadata; none may appear anywhere in a proposal.
_FORBIDDEN = WRITING_NODES

TableKey = tuple[str, str, str]


@dataclass(frozen=True)
class NewSchema:
    """The tables the plan's DDL creates: ``(catalog, schema, table)`` -> ``{column: type}``."""

    tables: dict[TableKey, dict[str, str]]
    #: The sqlglot dialect the plan and the proposals are written in.
    dialect: str = DIALECT

    @property
    def engine_name(self) -> str:
        return "PostgreSQL" if self.dialect == POSTGRES else "Trino"

    def mapping_schema(self) -> MappingSchema:
        nested: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
        for (catalog, schema, table), columns in self.tables.items():
            nested.setdefault(catalog, {}).setdefault(schema, {})[table] = columns
        return MappingSchema(cast("dict[str, object]", nested), dialect=self.dialect)


def _key(table: exp.Table) -> tuple[str, ...]:
    return tuple(part.name.lower() for part in table.parts)


def _created_columns(create: exp.Create, dialect: str) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """The table key and ``{column: type}`` a ``CREATE TABLE`` declares, or ``None`` when unknown."""
    target = create.this
    query = create.expression
    if isinstance(target, exp.Schema):
        table = target.this
        columns = {}
        for column in target.expressions:
            if isinstance(column, exp.PrimaryKey):
                continue  # a PostgreSQL table constraint, not a column
            kind = column.args.get("kind") if isinstance(column, exp.ColumnDef) else None
            columns[column.name.lower()] = kind.sql(dialect) if kind is not None else "UNKNOWN"
    elif isinstance(target, exp.Table) and isinstance(query, exp.Query):
        # CREATE TABLE ... AS SELECT: the columns are the query's output names.
        if any(select.is_star for select in query.selects):
            return None  # would need the source tables' columns; not provable here
        table = target
        columns = {name.lower(): "UNKNOWN" for name in query.named_selects if name}
    else:
        return None
    return (_key(table) if isinstance(table, exp.Table) else ()), columns


def new_schema_from_ddl(ddl: list[Statement], dialect: str = DIALECT) -> NewSchema:
    """Read the columns of the ``CREATE TABLE`` and ``CREATE MATERIALIZED VIEW`` statements (column lists
    or ``AS SELECT`` output names).

    >>> schema = new_schema_from_ddl([Statement(statement="CREATE SCHEMA c.n"),
    ...     Statement(statement='CREATE TABLE "c"."n"."T" ("A" integer, b varchar) WITH (format = \\'PARQUET\\')'),
    ...     Statement(statement="CREATE TABLE c.n.agg AS SELECT b, count(*) AS m_1 FROM c.s.t GROUP BY b"),
    ...     Statement(statement="CREATE MATERIALIZED VIEW c.n.v GRACE PERIOD INTERVAL '0' SECOND "
    ...                         "AS SELECT b FROM c.n.t")])
    >>> schema.tables  # doctest: +NORMALIZE_WHITESPACE
    {('c', 'n', 't'): {'a': 'INTEGER', 'b': 'VARCHAR'}, ('c', 'n', 'agg'): {'b': 'UNKNOWN', 'm_1': 'UNKNOWN'},
     ('c', 'n', 'v'): {'b': 'UNKNOWN'}}
    """
    tables: dict[TableKey, dict[str, str]] = {}
    for statement in ddl:
        try:
            node = parse_statement(statement.statement, dialect)
        except (SqlglotError, ValueError):
            continue
        if not isinstance(node, exp.Create) or created_object(node) is None:
            continue  # tables and materialized views only
        created = _created_columns(node, dialect)
        if created is not None and len(created[0]) == 3 and created[1]:
            key, columns = created
            tables[(key[0], key[1], key[2])] = columns
    return NewSchema(tables, dialect)


def clean_proposal(sql: str) -> str:
    """The proposal without surrounding blanks and trailing semicolons.

    >>> clean_proposal("  SELECT 1 ;; \\n")
    'SELECT 1'
    """
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def static_rejection(sql: str, schema: NewSchema) -> str | None:
    """Why ``sql`` cannot replace a query, or ``None`` when it passes every static check.

    >>> schema = NewSchema({("c", "n", "t"): {"a": "INTEGER", "b": "VARCHAR"}})
    >>> static_rejection("WITH x AS (SELECT a AS k FROM c.n.t) SELECT k FROM x ORDER BY k", schema) is None
    True
    >>> static_rejection("SELECT a FROM t", schema)
    "table 't' is not fully qualified (catalog.schema.table)"
    >>> static_rejection("SELECT zz FROM c.n.t", schema)
    "unknown column: Column 'zz' could not be resolved. Line: 1, Col: 9"
    """
    text = clean_proposal(sql)
    if not text:
        return "empty SQL"
    try:
        statements = [s for s in sqlglot.parse(text, read=schema.dialect) if s is not None]
    except SqlglotError as exc:
        return f"does not parse as {schema.engine_name} SQL: {_first_line(exc)}"
    if len(statements) != 1:
        return f"must be exactly one statement, got {len(statements)}"
    ast = statements[0]
    forbidden = ast if isinstance(ast, _FORBIDDEN) else ast.find(*_FORBIDDEN)
    if forbidden is not None:
        return f"not a read-only query: contains {forbidden.key.upper()}"
    if not isinstance(ast, exp.Query):
        return f"not a SELECT query: {ast.key.upper()}"
    read = 0
    for table in ast.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            return f"table functions are not allowed: {table.sql(schema.dialect)[:120]}"
        if is_cte_reference(table):
            continue
        key = _key(table)
        name = ".".join(key)
        if len(key) != 3:
            return f"table {name!r} is not fully qualified (catalog.schema.table)"
        if key not in schema.tables:
            return f"table {name!r} is not a table of the new schema"
        read += 1
    if not read:
        return "reads no table of the new schema"
    try:
        qualify(
            ast.copy(),
            schema=schema.mapping_schema(),
            dialect=schema.dialect,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except OptimizeError as exc:
        return f"unknown column: {_first_line(exc)}"
    except SqlglotError as exc:  # the optimizer could not follow the query: not provably safe
        return f"columns could not be checked: {_first_line(exc)}"
    return None
