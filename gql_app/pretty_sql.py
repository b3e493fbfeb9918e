"""SQL laid out for reading (sqlglot ``pretty=True``, Trino dialect), for the web console.

Display only: the plan's exact statements stay what the API returns. A text is re-laid only
when sqlglot reads it as whole statements and reads its own output back as the same trees;
anything else (a query the engine passed through unparsed, a fragment sqlglot would guess at)
is shown as it came, stripped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

DIALECT = "trino"

#: Top-level nodes that are whole statements; a bare expression ("SELEC oops" reads as an
#: alias) is not, and re-laying it would show the reader SQL nobody wrote.
_STATEMENTS = (exp.Query, exp.DDL, exp.DML, exp.Command, exp.Refresh, exp.Analyze, exp.Values)


@dataclass(frozen=True)
class PrettySql:
    text: str
    #: False when the text is shown as it came (sqlglot could not read it as statements).
    reformatted: bool


def pretty(sql: str) -> PrettySql:
    """``sql`` laid out by sqlglot, statements separated by ``;``.

    >>> print(pretty("select a, count(*) from c.s.t where b = 1 group by a").text)
    SELECT
      a,
      COUNT(*)
    FROM c.s.t
    WHERE
      b = 1
    GROUP BY
      a
    >>> pretty("SELEC oops ")
    PrettySql(text='SELEC oops', reformatted=False)
    """
    original = sql.strip()
    try:
        parsed = [tree for tree in sqlglot.parse(sql, read=DIALECT) if _is_statement(tree)]
        trees = [tree for tree in parsed if isinstance(tree, _STATEMENTS)]
        if not trees or len(trees) != len(parsed):
            return PrettySql(original, reformatted=False)
        texts = [tree.sql(dialect=DIALECT, pretty=True) for tree in trees]
        # Read our own output back: a layout that changed what sqlglot reads is not shown.
        if [sqlglot.parse_one(text, read=DIALECT) for text in texts] != trees:
            return PrettySql(original, reformatted=False)
    except (SqlglotError, RecursionError, ValueError):
        # Display only: whatever sqlglot cannot lay out is shown as it came, never an error.
        return PrettySql(original, reformatted=False)
    return PrettySql(";\n".join(texts), reformatted=True)


def _is_statement(tree: exp.Expr | None) -> bool:
    # parse() yields None for empty statements and Semicolon for a lone trailing comment.
    return tree is not None and not isinstance(tree, exp.Semicolon)


def pretty_all(statements: Iterable[str]) -> list[PrettySql]:
    return [pretty(statement) for statement in statements]
