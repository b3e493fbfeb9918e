"""Families of Trino column types, for rules that care whether a column is a date, a flag..."""

from __future__ import annotations

from typing import Literal

TypeFamily = Literal["temporal", "boolean", "integer", "float", "decimal", "string", "other"]

_INTEGER_BITS = {"TINYINT": 8, "SMALLINT": 16, "INT": 32, "INTEGER": 32, "BIGINT": 64}


def type_family(type_sql: str) -> TypeFamily:
    """The family of a Trino type as sqlglot prints it.

    >>> [type_family(t) for t in ("DATE", "TIMESTAMP(6)", "BIGINT", "DECIMAL(7, 2)", "VARCHAR", "BOOLEAN")]
    ['temporal', 'temporal', 'integer', 'decimal', 'string', 'boolean']
    """
    head = type_sql.upper().split("(", 1)[0].strip()
    if head in ("DATE", "TIMESTAMP") or head.startswith("TIMESTAMP"):
        return "temporal"
    if head == "BOOLEAN":
        return "boolean"
    if head in _INTEGER_BITS:
        return "integer"
    if head in ("DOUBLE", "REAL", "FLOAT"):
        return "float"
    if head == "DECIMAL":
        return "decimal"
    if head in ("VARCHAR", "CHAR", "TEXT"):
        return "string"
    return "other"


def integer_bits(type_sql: str) -> int | None:
    """Width of an integer type (``None`` for other types)."""
    return _INTEGER_BITS.get(type_sql.upper().split("(", 1)[0].strip())
