"""Drop the derived tables and views (pre-aggregated, materialized) that no query of a result reads.

A rewrite sent back to its baseline form after a verification found different rows leaves the
table it read behind: the plan would still build, fill and store it for nothing. The 1:1 copies
always stay (they are the baseline every query can fall back to).
"""

from __future__ import annotations

from sqlglot.errors import SqlglotError

from jobs.contract.result import PlanResult, Statement
from jobs.engine.model.requalify import table_references
from jobs.sql.statements import created_object, filled_object, parse_statement, table_key


def _created(statement: Statement) -> str | None:
    """The table or view a CREATE TABLE / MATERIALIZED VIEW, an INSERT or a REFRESH writes, as
    ``catalog.schema.name`` (lower case)."""
    try:
        tree = parse_statement(statement.statement)
    except (SqlglotError, ValueError):
        return None
    table = created_object(tree) or filled_object(tree)
    return ".".join(table_key(table)) if table is not None else None


def _read_by(query: str, candidates: set[str]) -> set[str]:
    """The ``candidates`` ``query`` reads; all it names when it does not parse (kept, to be safe)."""
    try:
        return {".".join(table_key(t)) for t in table_references(parse_statement(query))} & candidates
    except (SqlglotError, ValueError):
        lowered = query.lower()
        return {key for key in candidates if key in lowered}


def without_unread_tables(result: PlanResult, baseline: PlanResult) -> tuple[PlanResult, list[str]]:
    """``result`` without the DDL and migrations of the tables ``baseline`` (the 1:1 copies, see
    :func:`jobs.engine.optimizer.baseline_result`) does not create and no query reads; and their names.

    >>> result = PlanResult.model_validate({
    ...     "ddl": [{"statement": "CREATE SCHEMA c.s_opt"}, {"statement": "CREATE TABLE c.s_opt.t (a int)"},
    ...             {"statement": "CREATE MATERIALIZED VIEW c.s_opt.t_block_1 GRACE PERIOD INTERVAL '0' SECOND "
    ...                           "AS SELECT count(*) AS a_1 FROM c.s_opt.t"}],
    ...     "migrations": [{"statement": "INSERT INTO c.s_opt.t SELECT a FROM c.s.t"},
    ...                    {"statement": "REFRESH MATERIALIZED VIEW c.s_opt.t_block_1"}],
    ...     "queries": [{"queryid": "q1", "query": "SELECT count(*) FROM c.s_opt.t"}]})
    >>> baseline = result.model_copy(update={"ddl": result.ddl[:2], "migrations": result.migrations[:1]})
    >>> pruned, dropped = without_unread_tables(result, baseline)
    >>> dropped, [s.statement for s in pruned.migrations]
    (['c.s_opt.t_block_1'], ['INSERT INTO c.s_opt.t SELECT a FROM c.s.t'])
    """
    copies = {_created(s) for s in baseline.ddl}
    ddl_tables = [_created(s) for s in result.ddl]
    derived = {t for t in ddl_tables if t is not None and t not in copies}
    read: set[str] = set()
    for query in result.queries if derived else []:
        read |= _read_by(query.query, derived)
    unread = derived - read
    if not unread:
        return result, []
    pruned = result.model_copy(
        update={
            "ddl": [s for s, table in zip(result.ddl, ddl_tables, strict=True) if table not in unread],
            "migrations": [s for s in result.migrations if _created(s) not in unread],
        }
    )
    return pruned, sorted(unread)
