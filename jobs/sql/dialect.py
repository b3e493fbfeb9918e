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


#: sqlglot's name of the PostgreSQL dialect.
POSTGRES = "postgres"


def dialect_of_url(url: str | None) -> str:
    """The sqlglot dialect a workload is read and written in, by its JDBC URL's engine.

    >>> dialect_of_url("jdbc:postgresql://h/db"), dialect_of_url("jdbc:trino://h:1"), dialect_of_url(None)
    ('postgres', 'trino', 'trino')
    """
    return POSTGRES if url is not None and url.strip().lower().startswith("jdbc:postgresql:") else DIALECT
