"""Single-table GROUP BY blocks that a pre-aggregated table can answer exactly.

A block qualifies when it reads one source table, has no subqueries, joins, DISTINCT,
GROUPING SETS or non-deterministic functions, and every aggregate is decomposable:
``COUNT(*)``, ``COUNT(x)`` and ``SUM(x)`` re-aggregate as ``SUM``, ``MIN``/``MAX`` as themselves,
and ``AVG(x)`` (integer or DOUBLE ``x`` only: DECIMAL/REAL averages round differently) as
``SUM(sum x) / SUM(count x)``. ``COUNT(DISTINCT)``, ``FILTER``, percentiles, variances and
every other aggregate disqualify the block. Only grouped blocks qualify: a global aggregate
over no rows returns a row, a re-aggregation over no groups would not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from jobs.engine.model.query_blocks import BlockScope, block_tables, own_nodes
from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.type_families import type_family
from jobs.sql.dialect import trino

_NONDETERMINISTIC = {"rand", "random", "uuid", "now", "shuffle", "localtime", "localtimestamp"}
_DECOMPOSABLE = (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg)


def case_results(case: exp.Case) -> list[exp.Expr]:
    """The values a CASE can return (its THEN and ELSE expressions)."""
    results = [branch.args.get("true") for branch in case.args.get("ifs") or []]
    return [r for r in [*results, case.args.get("default")] if r is not None]


Shape = tuple[object, ...]


def shape_of(node: exp.Expr, column_key: Callable[[exp.Column], Shape]) -> Shape:
    """A hashable shape of ``node`` with each column replaced by ``column_key(column)``, names folded.

    Built without copying or generating SQL (this runs for every node of every candidate block).
    """
    if isinstance(node, exp.Column):
        return column_key(node)
    if isinstance(node, exp.Identifier):
        return ("identifier", node.name.lower())
    items: list[object] = [type(node).__name__]
    for key, value in node.args.items():
        if value is None or value is False or (isinstance(value, list) and not value):
            continue
        if isinstance(value, list):
            items.append((key, tuple(shape_of(v, column_key) if isinstance(v, exp.Expr) else v for v in value)))
        elif isinstance(value, exp.Expr):
            items.append((key, shape_of(value, column_key)))
        else:
            items.append((key, value))
    return tuple(items)


def _unqualified_key(column: exp.Column) -> Shape:
    return ("column", column.name.lower())


def canonical(node: exp.Expr) -> Shape:
    """A hashable shape identifying an expression over one table: columns unqualified, names folded.

    >>> import sqlglot
    >>> parse = lambda text: sqlglot.parse_one(text, read="trino")
    >>> canonical(parse('MONTH(f."FlightDate")')) == canonical(parse("month(flightdate)"))
    True
    >>> canonical(parse("a = 'X'")) == canonical(parse("a = 'x'"))
    False
    """
    return shape_of(node, _unqualified_key)


def numeric_kind(node: exp.Expr, source: SourceTable) -> str | None:
    """``integer`` or ``double`` when the expression certainly has that type in Trino, else ``None``."""
    if isinstance(node, exp.Paren | exp.Neg):
        return numeric_kind(node.this, source)
    if isinstance(node, exp.Column):
        column = source.column(node.name)
        if column is None:
            return None
        if type_family(column.type_sql) == "integer":
            return "integer"
        return "double" if column.type_sql.upper() == "DOUBLE" else None
    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.name.lower()
        return "integer" if text.isdigit() else ("double" if "e" in text else None)
    if isinstance(node, exp.Cast):
        target = node.to.sql(trino()).upper()
        return "double" if target == "DOUBLE" else ("integer" if type_family(target) == "integer" else None)
    if isinstance(node, exp.Case | exp.If):
        branches = [i.args.get("true") for i in node.args.get("ifs") or []] if isinstance(node, exp.Case) else []
        if isinstance(node, exp.If):
            branches = [node.args.get("true")]
        branches.append(node.args.get("default"))
        kinds = {numeric_kind(b, source) for b in branches if b is not None and not isinstance(b, exp.Null)}
        return kinds.pop() if len(kinds) == 1 else ("double" if kinds == {"integer", "double"} else None)
    if isinstance(node, exp.Nullif):
        return numeric_kind(node.this, source)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        # Trino: integer op integer stays integer (division truncates); with a DOUBLE it is DOUBLE.
        kinds = {numeric_kind(node.this, source), numeric_kind(node.expression, source)}
        return "integer" if kinds == {"integer"} else ("double" if kinds <= {"integer", "double"} else None)
    return None


@dataclass
class Measure:
    """One column of the pre-aggregated table: ``function(argument)`` computed per group."""

    function: str  # COUNT_STAR, COUNT, SUM, MIN, MAX
    argument: exp.Expr | None

    @property
    def key(self) -> Shape:
        return (self.function, canonical(self.argument) if self.argument is not None else "*")

    def fill_sql(self) -> str:
        if self.function == "COUNT_STAR":
            return "COUNT(*)"
        assert self.argument is not None
        return f"{self.function}({self.argument.sql(trino(), copy=False)})"  # our own copy


@dataclass
class AggregateBlock:
    """A qualifying block: its table, filter, grouping keys and the measures it needs."""

    queryid: str
    select: exp.Select
    source: SourceTable
    table: exp.Table
    where: exp.Expr | None
    #: canonical shape -> key expression, in GROUP BY order.
    keys: dict[Shape, exp.Expr] = field(default_factory=dict)
    #: id(aggregate node) -> the measures it is rebuilt from.
    aggregates: dict[int, tuple[exp.AggFunc, list[Measure], str]] = field(default_factory=dict)

    @property
    def where_key(self) -> Shape:
        return canonical(self.where) if self.where is not None else ()

    def measures(self) -> list[Measure]:
        seen: dict[Shape, Measure] = {}
        for _, measures, _ in self.aggregates.values():
            for measure in measures:
                seen.setdefault(measure.key, measure)
        return list(seen.values())


def deterministic(select: exp.Select) -> bool:
    """Whether no node of ``select`` (nested queries included) is a non-deterministic function."""
    for node in select.walk():
        name = type(node).__name__.lower()
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
        if name in _NONDETERMINISTIC or name.startswith("current") or isinstance(node, exp.Rand):
            return False
    return True


def _decompose(node: exp.AggFunc, source: SourceTable) -> tuple[list[Measure], str] | None:
    """The measures an aggregate is rebuilt from, and how (``sum``/``min``/``max``/``avg_*``)."""
    argument = node.this
    if not isinstance(node, _DECOMPOSABLE) or isinstance(argument, exp.Distinct) or node.expressions:
        return None
    if argument is not None and (argument.find(exp.AggFunc, exp.Window, exp.Query) is not None):
        return None
    if isinstance(node, exp.Count):
        if argument is None or isinstance(argument, exp.Star):
            return [Measure("COUNT_STAR", None)], "sum"
        return [Measure("COUNT", argument)], "sum"
    if argument is None or isinstance(argument, exp.Star):
        return None
    if isinstance(node, exp.Sum):
        return [Measure("SUM", argument)], "sum"
    if isinstance(node, exp.Min | exp.Max):
        function = "MIN" if isinstance(node, exp.Min) else "MAX"
        return [Measure(function, argument)], function.lower()
    kind = numeric_kind(argument, source)
    if kind is None:
        return None
    return [Measure("SUM", argument), Measure("COUNT", argument)], f"avg_{kind}"


def grouping_keys(select: exp.Select) -> list[exp.Expr] | None:
    """``select``'s GROUP BY expressions, a position (``GROUP BY 2``) read as that output's
    expression; ``None`` when a position is out of range.

    >>> import sqlglot
    >>> [k.sql() for k in grouping_keys(sqlglot.parse_one("SELECT a, b + 1 AS c FROM t GROUP BY a, 2"))]
    ['a', 'b + 1']
    """
    group = select.args.get("group")
    keys = []
    for key in group.expressions if group is not None else []:
        if isinstance(key, exp.Literal) and not key.is_string and key.name.isdigit():
            position = int(key.name) - 1
            if not 0 <= position < len(select.expressions):
                return None
            key = select.expressions[position].unalias()
        keys.append(key)
    return keys


def analyze_block(queryid: str, scope: BlockScope) -> AggregateBlock | None:
    """The block as an :class:`AggregateBlock`, or ``None`` when it does not qualify."""
    select = scope.select
    group = select.args.get("group")
    tables = block_tables(select)
    from_ = select.args.get("from_")
    if (
        group is None
        or not group.expressions
        or any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup", "totals", "all"))
        or len(tables) != 1
        or len(scope.tables) != 1
        or scope.opaque
        or select.args.get("joins")
        or select.args.get("distinct")
        or not isinstance(from_, exp.From)
        or from_.this is not tables[0]
        or tables[0].args.get("sample")
        or any(isinstance(n, exp.Query) for n in select.walk() if n is not select)
        or not deterministic(select)
    ):
        return None
    source, table = scope.tables[0], tables[0]
    names = {table.name.lower(), table.alias.lower()} - {""}
    for node in own_nodes(select):
        if isinstance(node, exp.Filter | exp.WithinGroup | exp.Lambda) or (
            isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count)
        ):
            return None
        if isinstance(node, exp.Column):
            if source.column(node.name) is None and not _output_reference(node, select):
                return None
            if node.table and (node.table.lower() not in names or node.args.get("db")):
                return None
    where = select.args.get("where")
    block = AggregateBlock(queryid, select, source, table, where.this if where is not None else None)
    if block.where is not None and block.where.find(exp.AggFunc, exp.Window) is not None:
        return None
    keys = grouping_keys(select)
    if keys is None:
        return None
    for expression in keys:
        if expression.find(exp.AggFunc, exp.Window) is not None or not list(expression.find_all(exp.Column)):
            return None
        block.keys.setdefault(canonical(expression), expression)
    for node in own_nodes(select):
        if isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window):
            if node.find_ancestor(exp.Group, exp.Where) is not None:
                return None
            decomposed = _decompose(node, source)
            if decomposed is None:
                return None
            block.aggregates[id(node)] = (node, *decomposed)
    return block if block.aggregates else None


def _output_reference(column: exp.Column, select: exp.Select) -> bool:
    """An ORDER BY name that refers to an output column (Trino resolves those first)."""
    order = select.args.get("order")
    if column.table or order is None or column.find_ancestor(exp.Order) is not order:
        return False
    return column.name.lower() in {e.alias_or_name.lower() for e in select.expressions}
