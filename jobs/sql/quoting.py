"""The one quoter: identifiers quoted only when they must be, qualified names, string literals."""

from __future__ import annotations

import functools

from sqlglot import exp

from jobs.sql.dialect import trino


@functools.lru_cache(maxsize=4096)
def quote_name(name: str) -> str:
    """A Trino identifier, quoted only when it must be.

    >>> quote_name("flights"), quote_name("order"), quote_name("My Table")
    ('flights', '"order"', '"My Table"')
    """
    plain = name.isidentifier() and name.islower()
    # sqlglot quotes reserved words (``order``) even when asked not to quote.
    return exp.to_identifier(name, quoted=not plain).sql(trino(), identify=False)


def qualified(catalog: str, schema: str, table: str) -> str:
    return ".".join(quote_name(part) for part in (catalog, schema, table))


def quote_literal(value: str) -> str:
    """A single-quoted SQL string literal (both engines).

    >>> quote_literal("o'hare")
    "'o''hare'"
    """
    return "'" + value.replace("'", "''") + "'"
