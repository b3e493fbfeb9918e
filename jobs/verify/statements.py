"""Reading a plan's statements safely: the new schema, and what each statement writes to."""

from __future__ import annotations

import re

#: Statement heads that write to a named object, and the object's name.
_TARGET = re.compile(
    r"^\s*(?P<verb>CREATE\s+(?:OR\s+REPLACE\s+)?(?P<kind>TABLE|VIEW|MATERIALIZED\s+VIEW)(?:\s+IF\s+NOT\s+EXISTS)?"
    r"|INSERT\s+INTO|ALTER\s+TABLE(?:\s+IF\s+EXISTS)?|DELETE\s+FROM|UPDATE|MERGE\s+INTO|TRUNCATE\s+TABLE"
    r"|DROP\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW)(?:\s+IF\s+EXISTS)?|ANALYZE|COMMENT\s+ON\s+(?:TABLE|COLUMN))"
    r"\s+(?P<name>(?:\"[^\"]+\"|[^\s(\".]+)(?:\s*\.\s*(?:\"[^\"]+\"|[^\s(\".]+))*)",
    re.IGNORECASE,
)
_SCHEMA = re.compile(
    r"^\s*CREATE\s+SCHEMA\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>(?:\"[^\"]+\"|[^\s(\".]+)\s*\.\s*(?:\"[^\"]+\"|[^\s(\".]+))",
    re.IGNORECASE,
)
_LEADING_COMMENTS = re.compile(r"^\s*(?:--[^\n]*\n|/\*.*?\*/\s*)*", re.DOTALL)


class UnsafeStatementError(ValueError):
    """A statement the verifier refuses to run (it would write outside the new schema)."""


def strip_leading_comments(sql: str) -> str:
    return _LEADING_COMMENTS.sub("", sql, count=1)


def _name(text: str) -> str:
    return ".".join(part.strip().strip('"').lower() for part in text.split("."))


def new_schema(statement: str) -> str:
    """``catalog.schema`` of the plan's first statement, which must be ``CREATE SCHEMA``.

    >>> new_schema('CREATE SCHEMA IF NOT EXISTS Lake."Opt_1"')
    'lake.opt_1'
    >>> new_schema("CREATE TABLE a.b.c (x int)")
    Traceback (most recent call last):
    ...
    jobs.verify.statements.UnsafeStatementError: the first DDL statement must be CREATE SCHEMA catalog.schema
    """
    match = _SCHEMA.match(strip_leading_comments(statement))
    if match is None:
        raise UnsafeStatementError("the first DDL statement must be CREATE SCHEMA catalog.schema")
    return _name(match.group("name"))


def idempotent_create_schema(statement: str) -> str:
    """The same ``CREATE SCHEMA`` with ``IF NOT EXISTS``.

    >>> idempotent_create_schema("CREATE SCHEMA c.s;")
    'CREATE SCHEMA IF NOT EXISTS c.s'
    """
    body = strip_leading_comments(statement).strip().rstrip(";").strip()
    match = _SCHEMA.match(body)
    if match is None or match.group("exists"):
        return body
    return body[: match.start("name")] + "IF NOT EXISTS " + body[match.start("name") :]


def write_target(statement: str) -> tuple[str, str | None] | None:
    """``(fully qualified name, created kind)`` the statement writes to; kind is TABLE/VIEW/... for CREATE.

    >>> write_target('INSERT INTO c.s."T" SELECT 1')
    ('c.s.t', None)
    >>> write_target("CREATE TABLE IF NOT EXISTS c.s.t (a int)")
    ('c.s.t', 'TABLE')
    >>> write_target("SELECT 1") is None
    True
    """
    match = _TARGET.match(strip_leading_comments(statement))
    if match is None:
        return None
    kind = match.group("kind")
    return _name(match.group("name")), (re.sub(r"\s+", " ", kind).upper() if kind else None)


def check_inside(statement: str, schema: str, what: str) -> tuple[str, str | None] | None:
    """The statement's target, refusing any write outside ``schema`` (the source is never touched)."""
    target = write_target(statement)
    if target is None:
        return None
    name, _ = target
    if name.count(".") != 2 or not name.startswith(schema + "."):
        raise UnsafeStatementError(f"{what} writes to {name}, outside the new schema {schema}; refusing to run it")
    return target
