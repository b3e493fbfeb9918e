"""The workload model: how every source table and column is used, weighted by cost.

Each use adds the query's weight (``runquantity x executiontime``). Filters are split into
equality (``=``, ``IN`` lists, bare booleans) and range (``<``, ``BETWEEN``...) on a column
compared with constants; joins record both keys, and a join key whose other side is filtered in
the same block gets ``dynamic`` weight (Trino's dynamic filtering can then skip its data).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlglot import exp

from jobs.contract.profile import ColumnProfile, DatabaseProfile, TableProfile
from jobs.contract.workload import Workload
from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.query_blocks import BlockScope, blocks, own_nodes
from jobs.engine.model.requalify import ParsedQuery
from jobs.engine.model.source_ddl import SourceTable

_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv, exp.Neg)


@dataclass
class ColumnUsage:
    equality: float = 0.0
    range: float = 0.0
    join: float = 0.0
    dynamic: float = 0.0
    group_by: float = 0.0
    order_by: float = 0.0
    projection: float = 0.0
    aggregate: float = 0.0
    #: Used inside arithmetic or a function (a narrower type could change the result or overflow).
    computed: bool = False
    #: Top-level conjuncts that pin the column to one literal (``c = 'x'``, ``c``, ``NOT c``), with
    #: the column unqualified: a partial index's predicate. Recorded per query (:func:`query_usage`).
    constants: list[exp.Expr] = field(default_factory=list)

    @property
    def filter(self) -> float:
        return self.equality + self.range


@dataclass
class TableUsage:
    source: SourceTable
    weight: float = 0.0
    queryids: list[str] = field(default_factory=list)
    columns: dict[str, ColumnUsage] = field(default_factory=lambda: defaultdict(ColumnUsage))
    #: Some use of the table is not known column by column: ``SELECT *``, an unparsable query
    #: or a column that could not be resolved. Rules that depend on every use must skip it.
    opaque: bool = False


@dataclass
class WorkloadModel:
    namespaces: Namespaces
    queries: list[ParsedQuery]
    weights: dict[str, float]
    tables: dict[tuple[str, str, str], TableUsage]
    profile: DatabaseProfile | None = None
    #: Trees of query texts the rules generated and parsed back (to prove the round trip), by
    #: text: the validator reuses them rather than parsing the same text again.
    parsed_texts: dict[str, exp.Expr] = field(default_factory=dict)

    def usage(self, source: SourceTable) -> TableUsage:
        return self.tables[source.key]

    def table_profile(self, source: SourceTable) -> TableProfile | None:
        return self.profile.table(source.qualified.replace('"', "")) if self.profile else None

    def row_count(self, source: SourceTable) -> float | None:
        profile = self.table_profile(source)
        return profile.row_count if profile else None

    def column_profile(self, source: SourceTable, column: str) -> ColumnProfile | None:
        profile = self.table_profile(source)
        if profile is None:
            return None
        for name, found in profile.columns.items():
            if name.lower() == column.lower():
                return found
        return None


def _is_constant(node: exp.Expr) -> bool:
    return not any(isinstance(n, exp.Column | exp.Query) for n in node.walk())


def conjuncts(node: exp.Expr) -> list[exp.Expr]:
    """The top-level AND terms of a condition: only those can skip data on their own (an OR cannot)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return [*conjuncts(node.this), *conjuncts(node.expression)]
    return [node]


def _column_and_other(predicate: exp.Expr) -> tuple[exp.Column, exp.Expr] | None:
    left, right = predicate.this, predicate.args.get("expression")
    if isinstance(left, exp.Column) and right is not None:
        return left, right
    if isinstance(right, exp.Column) and left is not None:
        return right, left
    return None


def _pinning_conjunct(node: exp.Expr, column: exp.Column) -> exp.Expr | None:
    """``node`` with ``column`` unqualified, when it pins the column to one literal value."""
    bare = exp.column(column.name, quoted=column.this.quoted)
    if node is column:
        return bare
    if isinstance(node, exp.Not) and node.this is column:
        return exp.Not(this=bare)
    if isinstance(node, exp.EQ):
        pair = _column_and_other(node)
        if pair and pair[0] is column and isinstance(pair[1], exp.Literal | exp.Boolean):
            return exp.EQ(this=bare, expression=pair[1].copy())
    return None


class _Recorder:
    def __init__(self, model: WorkloadModel, weight: float, *, record_constants: bool = False) -> None:
        self.model = model
        self.weight = weight
        self.record_constants = record_constants
        #: (usage, kind) pairs already counted in the current block: a use counts once per block.
        self.counted: set[tuple[int, str]] = set()
        #: (qualifier, name) -> (source table, usage) in the current block: names repeat a lot.
        self.resolved: dict[tuple[str, str], tuple[SourceTable | None, ColumnUsage | None]] = {}

    def add(self, usage: ColumnUsage, kind: str) -> None:
        if (id(usage), kind) not in self.counted:
            self.counted.add((id(usage), kind))
            setattr(usage, kind, getattr(usage, kind) + self.weight)

    def resolve(self, scope: BlockScope, column: exp.Column) -> tuple[SourceTable | None, ColumnUsage | None]:
        """``column``'s source table in ``scope`` (the current block's) and its usage, if it has the column."""
        key = (column.table.lower(), column.name.lower())
        found = self.resolved.get(key)
        if found is None:
            source = scope.resolve(column)
            usage = None
            if source is not None and source.column(key[1]) is not None:
                usage = self.model.tables[source.key].columns[key[1]]
            found = self.resolved[key] = (source, usage)
        return found

    def usage(self, scope: BlockScope, column: exp.Column) -> ColumnUsage | None:
        return self.resolve(scope, column)[1]

    def predicates(
        self, scope: BlockScope, condition: exp.Expr, joins: list[tuple[exp.Column, exp.Column]]
    ) -> set[tuple[str, str, str]]:
        """Record filters; collect column = column pairs; return the tables filtered by constants."""
        filtered: set[tuple[str, str, str]] = set()
        for node in conjuncts(condition):
            column: exp.Column | None
            if isinstance(node, exp.Not) and isinstance(node.this, exp.Column):
                usage_kind, column = "equality", node.this  # NOT flag
            elif isinstance(node, exp.Column):
                usage_kind, column = "equality", node  # a bare boolean column
            else:
                usage_kind, column = self._classify(node, joins)
            if column is None:
                continue
            source, usage = self.resolve(scope, column)
            if usage is None or source is None:
                continue
            self.add(usage, usage_kind)
            if usage_kind in ("equality", "range"):
                filtered.add(source.key)
            pinned = _pinning_conjunct(node, column) if self.record_constants else None
            if pinned is not None and all(p != pinned for p in usage.constants):
                usage.constants.append(pinned)
        return filtered

    def joins(
        self, scope: BlockScope, joins: list[tuple[exp.Column, exp.Column]], filtered: set[tuple[str, str, str]]
    ) -> None:
        for left, right in joins:
            for this, other in ((left, right), (right, left)):
                usage, other_source = self.usage(scope, this), self.resolve(scope, other)[0]
                if usage is None:
                    continue
                self.add(usage, "join")
                if other_source is not None and other_source.key in filtered:
                    self.add(usage, "dynamic")

    def _classify(self, node: exp.Expr, joins: list[tuple[exp.Column, exp.Column]]) -> tuple[str, exp.Column | None]:
        if isinstance(node, exp.EQ):
            pair = _column_and_other(node)
            if pair and isinstance(pair[1], exp.Column):
                joins.append((pair[0], pair[1]))
                return "join", None
            if pair and _is_constant(pair[1]):
                return "equality", pair[0]
            return "equality", None
        if isinstance(node, exp.In) and isinstance(node.this, exp.Column):
            if node.args.get("query") is not None:
                # A semi-join on a (usually filtered) subquery: dynamic filtering applies.
                return "dynamic", node.this
            if all(_is_constant(e) for e in node.expressions):
                return "equality", node.this
        if (
            isinstance(node, exp.Between)
            and isinstance(node.this, exp.Column)
            and _is_constant(node.args["low"])
            and _is_constant(node.args["high"])
        ):
            return "range", node.this
        if isinstance(node, _RANGE) and not isinstance(node, exp.Between):
            pair = _column_and_other(node)
            if pair and _is_constant(pair[1]):
                return "range", pair[0]
        return "equality", None

    def block(self, scope: BlockScope) -> None:
        select = scope.select
        self.counted = set()
        self.resolved = {}
        for table in scope.tables:
            self.model.tables[table.key].weight += self.weight
        joins: list[tuple[exp.Column, exp.Column]] = []
        filtered: set[tuple[str, str, str]] = set()
        where = select.args.get("where")
        if where is not None:
            filtered |= self.predicates(scope, where.this, joins)
        for join in select.args.get("joins") or []:
            if join.args.get("on") is not None:
                filtered |= self.predicates(scope, join.args["on"], joins)
        self.joins(scope, joins, filtered)
        group = select.args.get("group")
        order = select.args.get("order")
        projected = {id(c) for e in select.expressions for c in e.find_all(exp.Column)}
        for node in own_nodes(select):
            if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
                for table in scope.tables:
                    self.model.tables[table.key].opaque = True
            if not isinstance(node, exp.Column):
                continue
            usage = self.usage(scope, node)
            if usage is None:
                if any(t.column(node.name) is not None for t in scope.tables):
                    for table in scope.tables:
                        self.model.tables[table.key].opaque = True
                continue
            if node.find_ancestor(exp.AggFunc) is not None:
                self.add(usage, "aggregate")
            if group is not None and node.find_ancestor(exp.Group) is group:
                self.add(usage, "group_by")
            if order is not None and node.find_ancestor(exp.Order) is order:
                self.add(usage, "order_by")
            if id(node) in projected:
                self.add(usage, "projection")
            parent = node.parent
            # Output, arithmetic and function arguments see the column's type; comparisons do not.
            if isinstance(parent, (*_ARITHMETIC, exp.Alias, exp.Select)) or (
                isinstance(parent, exp.Func) and not isinstance(parent, exp.Count)
            ):
                usage.computed = True


def build_model(
    workload: Workload, queries: list[ParsedQuery], namespaces: Namespaces, profile: DatabaseProfile | None
) -> WorkloadModel:
    """Walk every parsed query's blocks and record column usage."""
    weights = {q.queryid: q.weight for q in workload.queries}
    tables = {t.key: TableUsage(t) for t in namespaces.tables}
    model = WorkloadModel(namespaces, queries, weights, tables, profile)
    for query in queries:
        for source in query.sources:
            tables[source.key].queryids.append(query.queryid)
            tables[source.key].opaque |= query.ast is None
        if query.ast is None:
            continue
        recorder = _Recorder(model, weights[query.queryid])
        for scope in blocks(query.ast, namespaces):
            recorder.block(scope)
    return model


def query_usage(query: ParsedQuery, namespaces: Namespaces) -> dict[tuple[str, str, str], TableUsage]:
    """How one query uses each table it reads (weight 1 per block): the index candidates are per query.

    Tables the query does not read are left out; an unparsable query uses nothing known.
    """
    if query.ast is None:
        return {}
    tables = {t.key: TableUsage(t) for t in namespaces.tables}
    model = WorkloadModel(namespaces, [query], {query.queryid: 1.0}, tables)
    recorder = _Recorder(model, 1.0, record_constants=True)
    for scope in blocks(query.ast, namespaces):
        recorder.block(scope)
    return {key: usage for key, usage in tables.items() if usage.weight > 0}
