"""SELECT blocks of a query and the source tables their columns come from.

A block is one ``SELECT`` with its own FROM/JOIN tables; nested queries are blocks of their own.
Column resolution is deliberately simple and fast: qualified columns by alias or table name,
unqualified ones by the only table of the block (or enclosing blocks) that has the column.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.requalify import is_cte_reference
from jobs.engine.model.source_ddl import SourceTable, collapse_qualifiers, identifier_parts


def own_nodes(select: exp.Select) -> Iterator[exp.Expr]:
    """Every node of ``select`` except those inside nested queries (those are yielded, not entered)."""
    return select.walk(bfs=False, prune=lambda node: node is not select and isinstance(node, exp.Query))


def block_tables(select: exp.Select) -> list[exp.Table]:
    """The stored tables in ``select``'s FROM and JOINs (not CTEs, not subqueries)."""
    tables = []
    from_ = select.args.get("from_")
    items = [from_.this] if isinstance(from_, exp.From) else []
    items.extend(join.this for join in select.args.get("joins") or [])
    for item in items:
        if isinstance(item, exp.Table) and item.name and not is_cte_reference(item):
            tables.append(item)
    return tables


class BlockScope:
    """The source tables a block reads, by the names its columns may use."""

    def __init__(self, select: exp.Select, namespaces: Namespaces, outer: BlockScope | None = None) -> None:
        self.select = select
        self.outer = outer
        self.by_alias: dict[str, SourceTable] = {}
        #: Names in FROM that are not source tables (CTEs, subqueries): their columns are not ours.
        self.opaque: set[str] = set()
        self.tables: list[SourceTable] = []
        for table in block_tables(select):
            resolution = namespaces.resolve(collapse_qualifiers(identifier_parts(table)))
            alias = (table.alias or table.name).lower()
            if resolution.source is None:
                self.opaque.add(alias)
                continue
            self.by_alias[alias] = resolution.source
            self.tables.append(resolution.source)
        from_ = select.args.get("from_")
        others = [from_.this] if isinstance(from_, exp.From) else []
        others.extend(join.this for join in select.args.get("joins") or [])
        for item in others:
            if not isinstance(item, exp.Table) or is_cte_reference(item):
                self.opaque.add((item.alias_or_name or "").lower())

    def resolve(self, column: exp.Column) -> SourceTable | None:
        """The source table ``column`` belongs to, or ``None`` when unknown or ambiguous."""
        qualifier = column.table.lower()
        name = column.name.lower()
        scope: BlockScope | None = self
        while scope is not None:
            if qualifier:
                if qualifier in scope.by_alias:
                    return scope.by_alias[qualifier]
                if qualifier in scope.opaque:
                    return None
            else:
                owners = [t for t in scope.tables if t.column(name) is not None]
                if len(owners) == 1 and not scope.opaque:
                    return owners[0]
                if owners or scope.opaque:
                    return None
            scope = scope.outer
        return None


def blocks(ast: exp.Expr, namespaces: Namespaces) -> list[BlockScope]:
    """Every SELECT block of ``ast`` with its scope (outer blocks first)."""
    scopes: dict[int, BlockScope] = {}
    result = []
    for select in ast.find_all(exp.Select, bfs=True):
        outer = None
        node = select.parent
        while node is not None:
            if isinstance(node, exp.Select) and id(node) in scopes:
                outer = scopes[id(node)]
                break
            node = node.parent
        scope = BlockScope(select, namespaces, outer)
        scopes[id(select)] = scope
        result.append(scope)
    return result
