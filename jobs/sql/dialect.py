"""The SQL dialect statements are read and written in, and its cached sqlglot instance."""

from __future__ import annotations

import functools

from sqlglot.dialects.dialect import Dialect

#: The dialect every statement is read and written in.
DIALECT = "trino"


@functools.cache
def trino() -> Dialect:
    """The Trino dialect instance (looking it up by name on every call is measurably slow)."""
    return Dialect.get_or_raise(DIALECT)


@functools.cache
def dialect(name: str) -> Dialect:
    """A sqlglot dialect instance by name (``trino``, ``postgres``), cached like :func:`trino`."""
    return Dialect.get_or_raise(name)
