"""The verify guard for PostgreSQL plans: the statements a plan may run on the writable database.

Fail closed, as :mod:`jobs.verify.statements` does for Trino: each statement must be one of
``CREATE SCHEMA name`` (the plan's new schema, one part: PostgreSQL creates it in the
connection's database), ``CREATE TABLE`` (columns, or ``PARTITION OF`` a table) and ``CREATE
INDEX`` on a table of the new schema, ``CREATE MATERIALIZED VIEW ... WITH NO DATA``, ``INSERT
INTO``, ``REFRESH MATERIALIZED VIEW`` and ``ANALYZE`` of new-schema objects. Nothing else runs.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.sql.dialect import POSTGRES
from jobs.sql.statements import WRITING_NODES, parse_statement, table_key, written_table
from jobs.verify.statements import PlanStatement, UnsafeStatementError

_NAME = r'(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")'
_QUALIFIED = rf"({_NAME}\.{_NAME}\.{_NAME})"
# sqlglot reads these two as opaque commands: their shape is checked here, the query inside parsed.
_MATERIALIZED_VIEW = re.compile(rf"CREATE MATERIALIZED VIEW {_QUALIFIED} AS (.+) WITH NO DATA", re.DOTALL)
_REFRESH = re.compile(rf"REFRESH MATERIALIZED VIEW {_QUALIFIED}")


def _excerpt(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= 160 else flat[:157] + "..."


def _name(text: str) -> str:
    """``a."B".c`` as lower-case dotted parts (PostgreSQL folds unquoted names to lower case)."""
    return ".".join(table_key(exp.to_table(text, dialect=POSTGRES)))


def new_schema(statement: str, database: str) -> str:
    """``database.schema`` of the plan's first statement, ``CREATE SCHEMA schema``.

    >>> new_schema('CREATE SCHEMA "Opt"', "shop")
    'shop.opt'
    """
    try:
        tree = parse_statement(statement, POSTGRES)
    except (SqlglotError, ValueError):
        tree = None
    node = tree.this if isinstance(tree, exp.Create) and tree.kind == "SCHEMA" else None
    if not (isinstance(node, exp.Table) and node.db and not node.name and not node.catalog):
        raise UnsafeStatementError("the first DDL statement must be CREATE SCHEMA schema")
    return f"{database}.{node.db}".lower()


def _inside(name: str | None, schema: str) -> bool:
    return name is not None and name.count(".") == 2 and name.rsplit(".", 1)[0] == schema


def plan_statement(sql: str, schema: str, what: str) -> PlanStatement:
    """Check one PostgreSQL plan statement; ``schema`` is the new ``database.schema``.

    >>> plan_statement("CREATE INDEX i ON d.opt.t (a) INCLUDE (b)", "d.opt", "ddl[2]").kind
    'INDEX'
    >>> plan_statement("CREATE INDEX i ON d.public.t (a)", "d.opt", "ddl[2]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jobs.verify.statements.UnsafeStatementError: ddl[2] writes to d.public.t, outside the new schema d.opt; ...
    """
    found = _MATERIALIZED_VIEW.fullmatch(sql) or _REFRESH.fullmatch(sql)
    if found is not None:
        kind, target = ("MATERIALIZED VIEW" if found.re is _MATERIALIZED_VIEW else "REFRESH"), _name(found.group(1))
        if kind == "MATERIALIZED VIEW":
            _read_only_query(found.group(2), what)
        return _checked(kind, target, sql, schema, what)
    try:
        tree = parse_statement(sql, POSTGRES)
    except (SqlglotError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:120]
        message = f"{what} is not one statement the verifier can read ({reason}): {_excerpt(sql)}"
        raise UnsafeStatementError(message) from None
    if isinstance(tree, exp.Create) and tree.kind == "SCHEMA":
        return PlanStatement("SCHEMA", new_schema(sql, schema.split(".")[0]), sql)
    if isinstance(tree, exp.Create) and tree.kind == "INDEX" and isinstance(tree.this, exp.Index):
        table = tree.this.args.get("table")
        return _checked("INDEX", _dotted(table), sql, schema, what)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE" and not tree.args.get("replace"):
        parent = tree.find(exp.PartitionedOfProperty)
        if parent is not None and not _inside(_dotted(parent.this), schema):
            raise UnsafeStatementError(f"{what} partitions a table outside the new schema {schema}: {_excerpt(sql)}")
        expression = tree.args.get("expression")
        if expression is not None:
            _read_only_query(expression.sql(POSTGRES), what)
        return _checked("TABLE", _dotted(written_table(tree)), sql, schema, what)
    if isinstance(tree, exp.Insert) and not tree.args.get("overwrite") and not tree.args.get("conflict"):
        return _checked("INSERT", _dotted(written_table(tree)), sql, schema, what)
    if isinstance(tree, exp.Analyze):
        tables = [t for t in tree.args.get("tables") or [] if isinstance(t, exp.Table)]
        if len(tables) == 1:
            return _checked("ANALYZE", _dotted(tables[0]), sql, schema, what)
    raise UnsafeStatementError(f"{what} is not a statement a plan may run: {_excerpt(sql)}")


def _dotted(table: object) -> str | None:
    return ".".join(table_key(table)) if isinstance(table, exp.Table) else None


def _read_only_query(sql: str, what: str) -> None:
    try:
        tree = parse_statement(sql, POSTGRES)
    except (SqlglotError, ValueError) as exc:
        raise UnsafeStatementError(f"{what}: its query cannot be read: {_excerpt(sql)}") from exc
    if not isinstance(tree, exp.Query) or any(isinstance(n, WRITING_NODES) for n in tree.walk()):
        raise UnsafeStatementError(f"{what}: its query is not a plain read: {_excerpt(sql)}")


def _checked(kind: str, target: str | None, sql: str, schema: str, what: str) -> PlanStatement:
    if not _inside(target, schema):
        raise UnsafeStatementError(
            f"{what} writes to {target or 'an unqualified name'}, outside the new schema {schema}; refusing to run it"
        )
    return PlanStatement(kind, target, sql)
