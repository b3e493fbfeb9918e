"""Aggregate blocks that a materialized table answers exactly: joins, subqueries and all.

A block qualifies when every FROM/JOIN item is a stored source table (each under its own
name), it has no non-deterministic function, every column resolves to one of its own tables,
nested queries sit only in its WHERE or JOIN conditions and refer to nothing outside the
block, and every group aggregate is order-independent (``COUNT``, ``SUM``, ``AVG``, ``MIN``,
``MAX``, ``COUNT(DISTINCT)``, variances...; ``array_agg``, ``arbitrary``, ``max_by`` and friends
depend on row order and disqualify it).

The block's result before HAVING, ORDER BY and LIMIT is one row per group: its key
expressions and its aggregates. A table holding exactly that answers the block with the joins,
WHERE and GROUP BY removed (see :mod:`jobs.engine.rewrite.join_block_rewrite`). Keys and
pass-through aggregates (``MIN``/``MAX``) may not have a type an Iceberg table would change
(``TIME``, ``TIMESTAMP`` other than precision 6, ``CHAR``, ``TINYINT``, ``SMALLINT``) or
cannot store (``JSON``, ``IPADDRESS``, sketches...): values would come back in another type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from jobs.engine.analysis.aggregate_blocks import Shape, deterministic, grouping_keys, shape_of
from jobs.engine.model.query_blocks import BlockScope, block_tables, own_nodes
from jobs.engine.model.source_ddl import SourceTable

_ORDER_INDEPENDENT: tuple[type[exp.AggFunc], ...] = (
    exp.Count,
    exp.Sum,
    exp.Min,
    exp.Max,
    exp.Avg,
    exp.CountIf,
    exp.Stddev,
    exp.StddevPop,
    exp.StddevSamp,
    exp.Variance,
    exp.VariancePop,
    exp.ApproxDistinct,
    exp.LogicalAnd,
    exp.LogicalOr,
    exp.Corr,
    exp.CovarPop,
    exp.CovarSamp,
)
#: Types an Iceberg table stores as another type (so a value read back would print differently).
_CHANGED_BY_ICEBERG = re.compile(
    r"^\s*(time\b|char\b|char\(|tinyint|smallint|timestamp(?!\s*\(\s*6\s*\))"
    r"|json|ipaddress|interval|hyperloglog|qdigest|tdigest|setdigest|geometry|sphericalgeography)",
    re.I,
)


@dataclass
class JoinBlock:
    """A qualifying block, its tables by the names its columns use, its keys and aggregates."""

    queryid: str
    select: exp.Select
    #: alias (or table name), lower case -> source table.
    aliases: dict[str, SourceTable]
    #: id(table node) -> source table, for every table the block reads (nested queries' too).
    tables: dict[int, SourceTable] = field(default_factory=dict)
    #: shape -> key expression, in GROUP BY order (empty for a global aggregate).
    keys: dict[Shape, exp.Expr] = field(default_factory=dict)
    #: shape -> every aggregate node of that shape (FILTER/WITHIN GROUP wrappers included).
    aggregates: dict[Shape, list[exp.Expr]] = field(default_factory=dict)


def owner(column: exp.Column, aliases: dict[str, SourceTable]) -> str | None:
    """The alias of the block table ``column`` belongs to, ``None`` when unknown or ambiguous."""
    if column.args.get("db") is not None or column.args.get("catalog") is not None:
        return None
    if column.table:
        alias = column.table.lower()
        table = aliases.get(alias)
        return alias if table is not None and table.column(column.name) is not None else None
    owners = [alias for alias, table in aliases.items() if table.column(column.name) is not None]
    return owners[0] if len(owners) == 1 else None


def shape(node: exp.Expr, aliases: dict[str, SourceTable]) -> Shape:
    """A hashable shape of ``node`` where each column is named by its table alias (``a.id`` != ``b.id``).

    >>> import sqlglot
    >>> from jobs.engine.model.source_ddl import SourceColumn
    >>> t = SourceTable("c", "s", "t", (SourceColumn("id", "INTEGER"), SourceColumn("name", "VARCHAR")))
    >>> u = SourceTable("c", "s", "u", (SourceColumn("id", "INTEGER"),))
    >>> aliases = {"t": t, "u": u}
    >>> parse = lambda text: sqlglot.parse_one(text, read="trino")
    >>> shape(parse("UPPER(name)"), aliases) == shape(parse("upper(T.name)"), aliases)
    True
    >>> shape(parse("t.id"), aliases) == shape(parse("u.id"), aliases)
    False
    """
    return shape_of(node, lambda column: ("column", owner(column, aliases), column.name.lower()))


def aggregate_unit(node: exp.AggFunc) -> exp.Expr | None:
    """The group aggregate ``node`` belongs to (with its FILTER/WITHIN GROUP), ``None`` for a window's own."""
    unit: exp.Expr = node
    while isinstance(unit.parent, exp.Filter | exp.WithinGroup) and unit.parent.this is unit:
        unit = unit.parent
    if isinstance(unit.parent, exp.Window) and unit.parent.this is unit:
        return None
    return unit


def _keeps_type(node: exp.Expr, aliases: dict[str, SourceTable]) -> bool:
    """Whether the expression's value survives a round trip through an Iceberg column unchanged."""
    for cast in node.find_all(exp.Cast):
        if _CHANGED_BY_ICEBERG.match(cast.to.sql("trino")):
            return False
    for column in node.find_all(exp.Column):
        alias = owner(column, aliases)
        source_column = aliases[alias].column(column.name) if alias is not None else None
        if source_column is None or _CHANGED_BY_ICEBERG.match(source_column.type_sql):
            return False
    return True


def _tables_by_alias(scope: BlockScope) -> dict[str, SourceTable] | None:
    select = scope.select
    items = block_tables(select)
    from_ = select.args.get("from_")
    joins = select.args.get("joins") or []
    if not isinstance(from_, exp.From) or len(items) != 1 + len(joins) or scope.opaque:
        return None
    if len(scope.by_alias) != len(items) or any(t.args.get("sample") for t in items):
        return None
    if any(join.args.get("method") or join.args.get("kind") in ("ASOF",) for join in joins):
        return None
    return dict(scope.by_alias)


def _table_nodes(scope: BlockScope) -> dict[int, SourceTable]:
    return {id(t): scope.by_alias[(t.alias or t.name).lower()] for t in block_tables(scope.select)}


def _resolves_inside(column: exp.Column, scope: BlockScope, block: BlockScope) -> bool:
    """Whether ``column`` of a nested query resolves to a table of its own scope up to ``block``."""
    name = column.name.lower()
    current: BlockScope | None = scope
    while current is not None:
        if column.table:
            if column.table.lower() in current.by_alias:
                return current.by_alias[column.table.lower()].column(name) is not None
        else:
            owners = [t for t in current.tables if t.column(name) is not None]
            if len(owners) == 1:
                return True
            if owners:
                return False
        if current is block:
            return False
        current = current.outer
    return False


def _nested_inside(scope: BlockScope, nested: list[BlockScope], tables: dict[int, SourceTable]) -> bool:
    """Nested queries only in WHERE/JOIN conditions, over source tables, referring to nothing outside."""
    select = scope.select
    allowed = [select.args.get("where"), *(select.args.get("joins") or [])]
    for node in own_nodes(select):
        if isinstance(node, exp.Query) and node is not select:
            holder = node.find_ancestor(exp.Where, exp.Join)
            if not any(holder is part for part in allowed if part is not None):
                return False
    for inner in nested:
        if inner.opaque or len(inner.by_alias) != len(block_tables(inner.select)):
            return False
        for node in own_nodes(inner.select):
            if isinstance(node, exp.Column) and not _resolves_inside(node, inner, scope):
                return False
        tables.update(_table_nodes(inner))
    return True


def analyze_join_block(queryid: str, scope: BlockScope, nested: list[BlockScope] | None = None) -> JoinBlock | None:
    """The block as a :class:`JoinBlock`, or ``None`` when it does not qualify.

    ``nested`` are the scopes of the queries nested in the block (see :func:`nested_scopes`).
    """
    select = scope.select
    group = select.args.get("group")
    if group is not None and (
        not group.expressions or any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup", "totals", "all"))
    ):
        return None
    aliases = _tables_by_alias(scope)
    if aliases is None or not deterministic(select):
        return None
    tables = _table_nodes(scope)
    if not _nested_inside(scope, nested or [], tables):
        return None
    outputs = {e.alias_or_name.lower() for e in select.expressions}
    order = select.args.get("order")
    block = JoinBlock(queryid, select, aliases, tables)
    for node in own_nodes(select):
        if isinstance(node, exp.Lambda) or (isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count)):
            return None
        if isinstance(node, exp.Column) and owner(node, aliases) is None:
            in_order = order is not None and node.find_ancestor(exp.Order) is order
            if not (in_order and not node.table and node.name.lower() in outputs):
                return None
        if isinstance(node, exp.AggFunc):
            unit = aggregate_unit(node)
            if unit is None:
                continue
            if not isinstance(node, _ORDER_INDEPENDENT) or node.find_ancestor(exp.Group, exp.Where, exp.Join):
                return None
            if isinstance(node, exp.Min | exp.Max) and not _keeps_type(node, aliases):
                return None
            block.aggregates.setdefault(shape(unit, aliases), []).append(unit)
    keys = grouping_keys(select)
    if keys is None:
        return None
    for expression in keys:
        if (
            expression.find(exp.AggFunc, exp.Window) is not None
            or not list(expression.find_all(exp.Column))
            or not _keeps_type(expression, aliases)
        ):
            return None
        block.keys.setdefault(shape(expression, aliases), expression)
    return block if block.aggregates else None


def nested_scopes(scope: BlockScope, scopes: list[BlockScope]) -> list[BlockScope]:
    """The scopes among ``scopes`` (from :func:`jobs.engine.model.query_blocks.blocks`) nested in ``scope``'s block."""
    found = []
    for other in scopes:
        current = other.outer
        while current is not None and current is not scope:
            current = current.outer
        if current is scope:
            found.append(other)
    return found
