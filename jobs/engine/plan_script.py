"""The plan as one SQL script a person reads and the Trino CLI runs as is: pretty-printed, each
section and query introduced by a ``--`` comment, every statement ending with ``;``.

A statement is pretty-printed only when the pretty text parses back to the same tree; otherwise
it is written as the plan has it (never a different statement).

>>> from jobs.contract.result import PlanResult, RewrittenQuery, Statement
>>> plan = PlanResult(ddl=[Statement(statement="CREATE SCHEMA c.s_opt")],
...                   queries=[RewrittenQuery(queryid="q1", query="SELECT a, count(*) FROM c.s_opt.t GROUP BY a")])
>>> print(plan_script(plan))
-- lakeopt plan: run the DDL, then the migrations, in order; then the queries read the new schema.
<BLANKLINE>
-- DDL (1 statement)
CREATE SCHEMA c.s_opt;
<BLANKLINE>
-- Migrations (0 statements)
<BLANKLINE>
-- Queries (1 query)
<BLANKLINE>
-- query q1
SELECT
  a,
  COUNT(*)
FROM c.s_opt.t
GROUP BY
  a;
<BLANKLINE>
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import SqlglotError

from jobs.contract.result import PlanResult
from jobs.sql.dialect import trino


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("y") else f"{n} {word[:-1]}ies"


def pretty(statement: str) -> str:
    """``statement`` pretty-printed for Trino, or as it is when that would not give the same tree."""
    text = statement.strip().rstrip(";").strip()
    try:
        tree = sqlglot.parse_one(text, dialect=trino())
        out = tree.sql(dialect=trino(), pretty=True)
        if sqlglot.parse_one(out, dialect=trino()) == tree:
            return out
    except SqlglotError:
        pass
    return text


def _statement(text: str) -> str:
    # A trailing line comment would swallow the ``;``: end the statement on its own line then.
    body = pretty(text)
    last = body.rsplit("\n", 1)[-1]
    return f"{body}\n;" if "--" in last else f"{body};"


def plan_script(plan: PlanResult) -> str:
    """The whole plan as a script (DDL, migrations, then each query under its queryid)."""
    lines = [
        "-- lakeopt plan: run the DDL, then the migrations, in order; then the queries read the new schema.",
        "",
        f"-- DDL ({_plural(len(plan.ddl), 'statement')})",
        *(_statement(s.statement) for s in plan.ddl),
        "",
        f"-- Migrations ({_plural(len(plan.migrations), 'statement')})",
        *(_statement(s.statement) for s in plan.migrations),
        "",
        f"-- Queries ({_plural(len(plan.queries), 'query')})",
    ]
    for query in plan.queries:
        label = " ".join(query.queryid.split())  # a line break would end the comment
        lines.extend(["", f"-- query {label}", _statement(query.query)])
    return "\n".join(lines) + "\n"
