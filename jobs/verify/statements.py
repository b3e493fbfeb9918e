"""The verify guard: an allow-list of the statements a plan may run on the writable database.

Fail closed: a statement is run only when its sqlglot tree is one of the kinds below and writes
only inside the plan's new schema. Everything else (DROP of a source, DELETE, MERGE, UPDATE,
TRUNCATE, ALTER, GRANT, CALL, EXECUTE, SET SESSION, USE, two statements in one string, anything
sqlglot cannot parse) is refused before the first statement runs, naming the statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.sql.dialect import trino
from jobs.sql.statements import is_materialized_view, is_refresh, parse_statement, table_key, table_name, written_table


class UnsafeStatementError(ValueError):
    """A statement the verifier refuses to run (it would write outside the new schema, or is not allowed)."""


@dataclass(frozen=True)
class PlanStatement:
    """One allowed statement: its kind (``SCHEMA``, ``TABLE``, ``MATERIALIZED VIEW``, ``INSERT``,
    ``REFRESH``, ``DROP``, ``SELECT``), the object it writes (None for SELECT), and its text."""

    kind: str
    target: str | None
    sql: str


def _excerpt(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= 160 else flat[:157] + "..."


def _parse(sql: str, what: str) -> exp.Expr:
    try:
        return parse_statement(sql)
    except (SqlglotError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:120]
        message = f"{what} is not one statement the verifier can read ({reason}): {_excerpt(sql)}"
        raise UnsafeStatementError(message) from exc


def _schema_of(tree: exp.Create) -> str | None:
    node = tree.this
    if isinstance(node, exp.Table) and node.catalog and node.db and not node.name:
        return f"{node.catalog}.{node.db}".lower()
    return None


def new_schema(statement: str) -> str:
    """``catalog.schema`` of the plan's first statement, which must be ``CREATE SCHEMA``.

    >>> new_schema('CREATE SCHEMA IF NOT EXISTS Lake."Opt_1"')
    'lake.opt_1'
    >>> new_schema("CREATE TABLE a.b.c (x int)")
    Traceback (most recent call last):
    ...
    jobs.verify.statements.UnsafeStatementError: the first DDL statement must be CREATE SCHEMA catalog.schema
    """
    try:
        tree = parse_statement(statement)
    except (SqlglotError, ValueError):
        tree = None
    schema = _schema_of(tree) if isinstance(tree, exp.Create) and tree.kind == "SCHEMA" else None
    if schema is None:
        raise UnsafeStatementError("the first DDL statement must be CREATE SCHEMA catalog.schema")
    return schema


def idempotent_create_schema(statement: str) -> str:
    """The same ``CREATE SCHEMA`` with ``IF NOT EXISTS``.

    >>> idempotent_create_schema("CREATE SCHEMA c.s;")
    'CREATE SCHEMA IF NOT EXISTS c.s'
    """
    tree = parse_statement(statement)
    tree.set("exists", True)
    return tree.sql(trino())


def _kind(tree: exp.Expr) -> str | None:
    """The allow-listed kind of ``tree``, or None when it is not allowed at all."""
    if isinstance(tree, exp.Create):
        if tree.kind == "SCHEMA":
            return "SCHEMA"
        if tree.kind == "TABLE" and not tree.args.get("replace"):
            return "TABLE"
        if is_materialized_view(tree) and not tree.args.get("replace"):
            return "MATERIALIZED VIEW"
        return None
    if isinstance(tree, exp.Insert) and not tree.args.get("overwrite"):
        return "INSERT"
    if is_refresh(tree):
        return "REFRESH"
    if isinstance(tree, exp.Drop) and tree.args.get("exists") and tree.kind in ("TABLE", "VIEW"):
        return "DROP"
    if isinstance(tree, exp.Query):
        return "SELECT"
    return None


def _target(tree: exp.Expr, kind: str) -> str | None:
    if kind == "SELECT":
        return None
    if kind == "SCHEMA":
        return _schema_of(tree) if isinstance(tree, exp.Create) else None
    if isinstance(tree, exp.Drop):
        # sqlglot lists dropped tables in ``tables``; one DROP of several tables is not allowed.
        dropped = tree.args.get("tables") or [tree.this]
        table = dropped[0] if len(dropped) == 1 else None
    else:
        table = tree.this if isinstance(tree, exp.Refresh) else written_table(tree)
    return table_name(table) if isinstance(table, exp.Table) and len(table_key(table)) == 3 else None


def plan_statement(sql: str, schema: str, what: str) -> PlanStatement:
    """Check one statement of a plan against the allow-list; ``schema`` is the plan's new schema.

    >>> plan_statement("INSERT INTO c.opt.t SELECT * FROM c.src.t", "c.opt", "migrations[0]").target
    'c.opt.t'
    >>> plan_statement("CREATE MATERIALIZED VIEW c.opt.v GRACE PERIOD INTERVAL '0' SECOND "
    ...                "WITH (format = 'ORC') AS SELECT k FROM c.opt.t", "c.opt", "ddl[2]").kind
    'MATERIALIZED VIEW'
    >>> plan_statement("DROP SCHEMA c.src CASCADE", "c.opt", "ddl[1]")
    Traceback (most recent call last):
    ...
    jobs.verify.statements.UnsafeStatementError: ddl[1] is not a statement a plan may run: DROP SCHEMA c.src CASCADE
    """
    tree = _parse(sql, what)
    kind = _kind(tree)
    if kind is None:
        raise UnsafeStatementError(f"{what} is not a statement a plan may run: {_excerpt(sql)}")
    target = _target(tree, kind)
    if kind != "SELECT":
        inside = target == schema if kind == "SCHEMA" else target is not None and target.startswith(schema + ".")
        if not inside:
            written = target or "an unqualified name"
            raise UnsafeStatementError(
                f"{what} writes to {written}, outside the new schema {schema}; refusing to run it: {_excerpt(sql)}"
            )
    return PlanStatement(kind, target, sql)
