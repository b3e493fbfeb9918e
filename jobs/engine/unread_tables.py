"""Drop the derived tables (pre-aggregated, materialized) that no query of a result reads.

A rewrite sent back to its baseline form after a verification found different rows leaves the
table it read behind: the plan would still build, fill and store it for nothing. The 1:1 copies
always stay (they are the baseline every query can fall back to).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.engine.optimizer import baseline_result
from jobs.engine.requalify import table_references
from jobs.engine.validate import parse_statement
from jobs.result import PlanResult
from jobs.workload import Workload


def _key(table: exp.Table) -> str:
    return ".".join(p.name.lower() for p in table.parts if isinstance(p, exp.Identifier))


def _target(statement: str) -> str | None:
    """The table a CREATE TABLE or INSERT writes, as ``catalog.schema.table`` (lower case)."""
    try:
        tree = parse_statement(statement)
    except (SqlglotError, ValueError):
        return None
    node = tree.this if isinstance(tree, exp.Create | exp.Insert) else None
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table) or (isinstance(tree, exp.Create) and tree.kind != "TABLE"):
        return None
    return _key(node)


def _read_by(query: str, candidates: set[str]) -> set[str]:
    """The ``candidates`` ``query`` reads; all it names when it does not parse (kept, to be safe)."""
    try:
        return {_key(t) for t in table_references(parse_statement(query))} & candidates
    except (SqlglotError, ValueError):
        lowered = query.lower()
        return {key for key in candidates if key in lowered}


def without_unread_tables(workload: Workload, result: PlanResult) -> tuple[PlanResult, list[str]]:
    """``result`` without the DDL and migrations of derived tables no query reads, and their names.

    >>> from jobs.workload import parse_workload
    >>> workload = parse_workload({"ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}],
    ...                            "queries": [{"queryid": "q1", "query": "SELECT count(*) FROM c.s.t"}]})
    >>> result = PlanResult.model_validate({
    ...     "ddl": [{"statement": "CREATE SCHEMA c.s_opt"}, {"statement": "CREATE TABLE c.s_opt.t (a int)"},
    ...             {"statement": "CREATE TABLE c.s_opt.t_block_1 (a_1 bigint)"}],
    ...     "migrations": [{"statement": "INSERT INTO c.s_opt.t SELECT a FROM c.s.t"},
    ...                    {"statement": "INSERT INTO c.s_opt.t_block_1 SELECT count(*) FROM c.s.t"}],
    ...     "queries": [{"queryid": "q1", "query": "SELECT count(*) FROM c.s_opt.t"}]})
    >>> pruned, dropped = without_unread_tables(workload, result)
    >>> dropped, [s.statement for s in pruned.migrations]
    (['c.s_opt.t_block_1'], ['INSERT INTO c.s_opt.t SELECT a FROM c.s.t'])
    """
    copies = {_target(s.statement) for s in baseline_result(workload).ddl} - {None}
    derived = {t for t in (_target(s.statement) for s in result.ddl) if t is not None and t not in copies}
    if not derived:
        return result, []
    read: set[str] = set()
    for query in result.queries:
        read |= _read_by(query.query, derived)
    unread = derived - read
    if not unread:
        return result, []
    pruned = result.model_copy(
        update={
            "ddl": [s for s in result.ddl if _target(s.statement) not in unread],
            "migrations": [s for s in result.migrations if _target(s.statement) not in unread],
        }
    )
    return pruned, sorted(unread)
