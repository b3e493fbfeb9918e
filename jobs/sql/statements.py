"""The one statement inspector: parse exactly one statement, and say which table it creates or writes.

The engine's validator, the derived-table pruning, the verify guard, the profiler and the sandbox
all ask these questions; they ask them here.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.sql.dialect import dialect

#: Node types that change data or metadata (refused by the read-only guard and in LLM proposals).
WRITING_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Into,
    exp.Lock,
)
#: Statements whose ``this`` is the table they write.
WRITE_STATEMENTS = (exp.Insert, exp.Create, exp.Delete, exp.Update, exp.Drop, exp.Alter, exp.Merge, exp.TruncateTable)
#: A CREATE TABLE head, for DDL sqlglot cannot parse (exotic WITH properties): the name is still readable.
_DDL_TABLE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:\"[^\"]+\"|[\w$]+)(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))*)",
    re.IGNORECASE,
)
#: ``CREATE MATERIALIZED VIEW name GRACE PERIOD <interval>``: sqlglot cannot parse the clause (it
#: falls back to an opaque Command), so it is split off before parsing and kept in the tree's meta.
_GRACE_PERIOD = re.compile(
    r"^(\s*CREATE\s+(?:OR\s+REPLACE\s+)?MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?:\"[^\"]+\"|[\w$]+)(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))*)"
    r"\s+GRACE\s+PERIOD\s+(INTERVAL\s+'[^']*'\s+[A-Z]+(?:\s+TO\s+[A-Z]+)?)(?=\s|$)",
    re.IGNORECASE,
)


def clean_statement(sql: str) -> str:
    """A statement without surrounding whitespace and trailing semicolons (Trino refuses them).

    >>> clean_statement(" SELECT 1 ;; ")
    'SELECT 1'
    """
    return sql.strip().rstrip(";").strip()


def split_grace_period(sql: str) -> tuple[str, str | None]:
    """A ``CREATE MATERIALIZED VIEW`` without its ``GRACE PERIOD`` clause, and the clause's interval.

    >>> split_grace_period("CREATE MATERIALIZED VIEW c.s.v GRACE PERIOD INTERVAL '15' MINUTE AS SELECT 1 AS a")
    ('CREATE MATERIALIZED VIEW c.s.v AS SELECT 1 AS a', "INTERVAL '15' MINUTE")
    >>> split_grace_period("SELECT 'GRACE PERIOD'")
    ("SELECT 'GRACE PERIOD'", None)
    """
    match = _GRACE_PERIOD.match(sql)
    if match is None:
        return sql, None
    return match.group(1) + sql[match.end() :], match.group(2)


def parse_statement(text: str, read: str = "trino") -> exp.Expr:
    """Exactly one statement, or :class:`ValueError`/:class:`SqlglotError`. A materialized view's
    ``GRACE PERIOD`` interval is kept in ``meta["grace_period"]`` (see :func:`split_grace_period`).

    >>> parse_statement("SELECT 1; DROP TABLE c.s.t")
    Traceback (most recent call last):
    ...
    ValueError: holds 2 statements
    >>> view = parse_statement("CREATE MATERIALIZED VIEW c.s.v GRACE PERIOD INTERVAL '0' SECOND AS SELECT 1 AS a")
    >>> is_materialized_view(view), view.meta["grace_period"]
    (True, "INTERVAL '0' SECOND")
    """
    body, grace_period = split_grace_period(text)
    statements = [s for s in sqlglot.parse(body, read=dialect(read)) if s is not None]
    if len(statements) != 1:
        raise ValueError(f"holds {len(statements)} statements")
    if grace_period is not None:
        statements[0].meta["grace_period"] = grace_period
    return statements[0]


def is_materialized_view(statement: exp.Expr) -> bool:
    """Whether ``statement`` is a ``CREATE MATERIALIZED VIEW``."""
    return (
        isinstance(statement, exp.Create)
        and statement.kind == "VIEW"
        and any(True for _ in statement.find_all(exp.MaterializedProperty))
    )


def is_refresh(statement: exp.Expr) -> bool:
    """Whether ``statement`` is a ``REFRESH MATERIALIZED VIEW``."""
    return isinstance(statement, exp.Refresh) and str(statement.args.get("kind") or "").upper() == "MATERIALIZED VIEW"


def created_object(statement: exp.Expr) -> exp.Table | None:
    """The table a ``CREATE TABLE`` or the view a ``CREATE MATERIALIZED VIEW`` creates, else None.

    >>> created_object(parse_statement("CREATE MATERIALIZED VIEW c.s.v AS SELECT 1 AS a")).sql()
    'c.s.v'
    >>> created_object(parse_statement("INSERT INTO c.s.t SELECT 1")) is None
    True
    """
    if isinstance(statement, exp.Create) and (statement.kind == "TABLE" or is_materialized_view(statement)):
        return written_table(statement)
    return None


def filled_object(statement: exp.Expr) -> exp.Table | None:
    """The table an ``INSERT`` fills or the view a ``REFRESH MATERIALIZED VIEW`` refreshes, else None.

    >>> filled_object(parse_statement("REFRESH MATERIALIZED VIEW c.s.v")).sql()
    'c.s.v'
    """
    if is_refresh(statement):
        return statement.this if isinstance(statement.this, exp.Table) else None
    return written_table(statement) if isinstance(statement, exp.Insert) else None


def table_key(table: exp.Table) -> tuple[str, ...]:
    """The lower-case name parts of ``table`` (``("c", "s", "t")`` when fully qualified)."""
    return tuple(p.name.lower() for p in table.parts if isinstance(p, exp.Identifier))


def table_name(table: exp.Table) -> str:
    """``table``'s lower-case dotted name.

    >>> table_name(exp.to_table('C.s."T"'))
    'c.s.t'
    """
    return ".".join(table_key(table))


def written_table(statement: exp.Expr) -> exp.Table | None:
    """The table a writing statement (CREATE, INSERT, DELETE...) writes, if it names one.

    >>> written_table(parse_statement('INSERT INTO c.s."T" SELECT 1')).sql()
    'c.s."T"'
    >>> written_table(parse_statement("SELECT 1")) is None
    True
    """
    node = statement.this if isinstance(statement, WRITE_STATEMENTS) else None
    if isinstance(node, exp.Schema):
        node = node.this
    return node if isinstance(node, exp.Table) else None


def created_table_parts(sql: str, read: str = "trino") -> list[str] | None:
    """The name parts of the table a ``CREATE TABLE`` creates, as written; None for other statements.

    >>> created_table_parts("CREATE TABLE IF NOT EXISTS c.s.\\"T\\" (a int) WITH (weird = ARRAY[ROW(1)])")
    ['c', 's', 'T']
    >>> created_table_parts("SELECT 1") is None
    True
    """
    try:
        parsed = parse_statement(sql, read)
    except (SqlglotError, ValueError):
        parsed = None
    if isinstance(parsed, exp.Create):
        table = written_table(parsed) if parsed.kind == "TABLE" else None
        return [part.name for part in table.parts] if table is not None else None
    match = _DDL_TABLE.match(sql)
    if match is None:
        return None
    return [part.strip().strip('"') for part in re.split(r"\s*\.\s*", match.group(1))]


def created_table(sql: str, read: str = "trino") -> str | None:
    """The fully qualified ``catalog.schema.table`` (lower case) a ``CREATE TABLE`` creates, else None.

    >>> created_table("CREATE TABLE C.S.T (a int) WITH (format = 'PARQUET');")
    'c.s.t'
    >>> created_table("CREATE TABLE t (a int)") is None
    True
    """
    parts = created_table_parts(clean_statement(sql), read)
    return ".".join(p.lower() for p in parts) if parts is not None and len(parts) == 3 else None
