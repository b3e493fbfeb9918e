"""Rule: pre-aggregated tables for heavy, repeated single-table GROUP BY blocks.

Blocks (see :mod:`jobs.engine.analysis.aggregate_blocks`) over the same table with the same WHERE share
one table grouped by the union of their keys when one block's keys contain the other's (a
coarser block re-aggregates: a roll-up); otherwise each key set gets its own table. The
table is created empty from its own SELECT (so Trino decides the column types) and filled by
a migration. A rewritten query must parse back to the same tree, or it keeps its baseline text.

>>> from jobs.engine.rules.testing import model_and_plan
>>> model, plan = model_and_plan(
...     ["CREATE TABLE c.s.f (origin varchar, delay double, cancelled boolean)"],
...     ["SELECT origin, COUNT(*) AS n, AVG(delay) AS d FROM c.s.f WHERE NOT cancelled GROUP BY origin"])
>>> plan = pre_aggregation(model, plan)
>>> select, _, rest = plan.tables[-1].fill_select.partition(" FROM ")
>>> print(select)
SELECT origin AS origin, COUNT(*) AS m_1, SUM(delay) AS m_2, COUNT(delay) AS m_3
>>> print(rest)
c.s.f WHERE NOT cancelled GROUP BY origin
>>> print(plan.queries[0].text)
SELECT origin, SUM(m_1) AS n, (SUM(m_2) / SUM(m_3)) AS d FROM c.s_opt.f_agg_1 GROUP BY origin
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from sqlglot import exp

from jobs.engine.analysis.aggregate_blocks import AggregateBlock, Measure, Shape, analyze_block, canonical, case_results
from jobs.engine.model.query_blocks import BlockScope
from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.type_families import type_family
from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import NewColumn, NewTable, Plan, PlannedQuery
from jobs.engine.readable import count, queries_phrase
from jobs.engine.rewrite.aggregate_rewrite import AggregateLayout, rewrite_block
from jobs.engine.rewrite.rewritten_text import render_rewrite
from jobs.engine.rules.engines import serves
from jobs.engine.rules.estimates import card
from jobs.sql.dialect import trino
from jobs.sql.quoting import quote_name

MAX_KEYS = 5
#: A block's query must weigh at least this share of the workload and run more than once.
MIN_WEIGHT_SHARE = 0.001
#: With a profile: the estimated groups may be at most this share of the table's rows.
MAX_GROUP_RATIO = 0.05
_UNPROFILED_KEY_FAMILIES = ("boolean", "integer", "string", "temporal")


@dataclass
class _Aggregate:
    source: SourceTable
    where: exp.Expr | None
    keys: dict[Shape, exp.Expr]
    blocks: list[AggregateBlock] = field(default_factory=list)
    measures: dict[Shape, Measure] = field(default_factory=dict)


def _unqualified(node: exp.Expr) -> exp.Expr:
    copy = node.copy()
    for column in list(copy.find_all(exp.Column)):
        column.replace(exp.column(column.this.copy()))
    return exp.column(node.this.copy()) if isinstance(node, exp.Column) else copy


def _unqualified_sql(node: exp.Expr) -> str:
    return _unqualified(node).sql(trino(), copy=False)  # a copy already: no second one


def _groups(model: WorkloadModel, aggregate: _Aggregate) -> float | None:
    """The estimated groups (``inf`` when a key's values are unknown), or ``None`` when a key
    cannot be sized at all."""
    source = aggregate.source
    rows = model.row_count(source)
    estimate = 1.0
    for key in aggregate.keys.values():
        if isinstance(key, exp.Case) and all(isinstance(value, exp.Literal | exp.Null) for value in case_results(key)):
            estimate *= len(key.args.get("ifs") or []) + 2
            continue
        columns = {c.name.lower() for c in key.find_all(exp.Column)}
        for name in columns:
            column = source.column(name)
            if column is None:
                return None
            family = type_family(column.type_sql)
            if family == "temporal" and column.type_sql.upper() != "DATE" and isinstance(key, exp.Column):
                return None  # raw timestamps group almost row by row
            if family not in _UNPROFILED_KEY_FAMILIES and (rows is None or model.column_profile(source, name) is None):
                return None
            profile = model.column_profile(source, name)
            values = profile.distinct_values if profile else None
            estimate *= (values if values is not None else math.inf) + 1
    return estimate


def _small_enough(model: WorkloadModel, aggregate: _Aggregate) -> bool:
    """Whether the table stays small: profile NDVs when known, key types otherwise."""
    rows = model.row_count(aggregate.source)
    estimate = _groups(model, aggregate)
    return estimate is not None and (rows is None or estimate <= max(1.0, rows * MAX_GROUP_RATIO))


def _grouped_selects(ast: exp.Expr) -> list[exp.Select]:
    """The SELECTs with a GROUP BY, in :func:`jobs.engine.model.query_blocks.blocks` order."""
    return [select for select in ast.find_all(exp.Select, bfs=True) if select.args.get("group") is not None]


def _candidates(model: WorkloadModel) -> list[tuple[AggregateBlock, exp.Expr]]:
    total = sum(model.weights.values()) or 1.0
    found = []
    for query in model.queries:
        workload_query = model.weights.get(query.queryid, 0.0)
        if query.ast is None or workload_query < MIN_WEIGHT_SHARE * total:
            continue
        # Only grouped blocks can qualify, and analyze_block reads no enclosing scope: no need
        # for every block's scope.
        selects = _grouped_selects(query.ast)
        qualifying = [
            index
            for index, select in enumerate(selects)
            if analyze_block(query.queryid, BlockScope(select, model.namespaces)) is not None
        ]
        if not qualifying:
            continue
        # The rewrite edits a fresh tree (parsing again is faster than a deep copy) of the same
        # text: its grouped SELECTs are the same, in the same order.
        ast = query.fresh_tree()
        selects = _grouped_selects(ast)
        for index in qualifying:
            block = analyze_block(query.queryid, BlockScope(selects[index], model.namespaces))
            if block is not None and len(block.keys) <= MAX_KEYS:
                found.append((block, ast))
    return found


def _group(model: WorkloadModel, candidates: list[AggregateBlock]) -> list[_Aggregate]:
    aggregates: list[_Aggregate] = []
    ordered = sorted(enumerate(candidates), key=lambda item: (-len(item[1].keys), item[0]))
    for _, block in ordered:
        home = None
        for aggregate in aggregates:
            same_input = aggregate.source.key == block.source.key and (
                (canonical(aggregate.where) if aggregate.where is not None else ()) == block.where_key
            )
            if same_input and set(block.keys) <= set(aggregate.keys):
                home = aggregate
                break
        if home is None:
            home = _Aggregate(block.source, block.where, dict(block.keys))
            if not _small_enough(model, home):
                continue
            aggregates.append(home)
        home.blocks.append(block)
        for measure in block.measures():
            home.measures.setdefault(measure.key, measure)
    return aggregates


def _layout(aggregate: _Aggregate, catalog: str, schema: str, name: str) -> AggregateLayout:
    keys: dict[Shape, str] = {}
    taken: set[str] = set()
    for index, (key, expression) in enumerate(aggregate.keys.items(), start=1):
        column = expression.name.lower() if isinstance(expression, exp.Column) else f"k_{index}"
        while column in taken:
            column += "_"
        keys[key] = column
        taken.add(column)
    measures = {}
    for index, key in enumerate(aggregate.measures, start=1):
        column = f"m_{index}"
        while column in taken:
            column += "_"
        measures[key] = column
        taken.add(column)
    return AggregateLayout(catalog, schema, name, keys, measures)


def _fill_select(aggregate: _Aggregate, layout: AggregateLayout) -> str:
    keys = [_unqualified_sql(e) for e in aggregate.keys.values()]
    items = [f"{sql} AS {quote_name(layout.keys[k])}" for k, sql in zip(aggregate.keys, keys, strict=True)]
    items.extend(
        f"{_unqualified_measure(m)} AS {quote_name(layout.measures[k])}" for k, m in aggregate.measures.items()
    )
    where = f" WHERE {_unqualified_sql(aggregate.where)}" if aggregate.where is not None else ""
    return f"SELECT {', '.join(items)} FROM {aggregate.source.qualified}{where} GROUP BY {', '.join(keys)}"


def _unqualified_measure(measure: Measure) -> str:
    if measure.argument is None:
        return measure.fill_sql()
    return Measure(measure.function, _unqualified(measure.argument)).fill_sql()


@serves("trino")
def pre_aggregation(model: WorkloadModel, plan: Plan) -> Plan:
    """Create pre-aggregated tables and point the blocks they answer at them."""
    candidates = _candidates(model)
    asts = {id(block): ast for block, ast in candidates}
    aggregates = _group(model, [block for block, _ in candidates])
    taken = {t.key for t in plan.tables}
    rewritten: dict[str, exp.Expr] = {}
    failed: set[str] = set()
    counters: dict[tuple[str, str, str], int] = {}
    for aggregate in aggregates:
        catalog, schema = model.namespaces.new_namespace(aggregate.source)
        counter = counters.get(aggregate.source.key, 0)
        while True:
            counter += 1
            name = f"{aggregate.source.name.lower()}_agg_{counter}"
            if (catalog, schema, name) not in taken:
                break
        counters[aggregate.source.key] = counter
        taken.add((catalog, schema, name))
        layout = _layout(aggregate, catalog, schema, name)
        columns = tuple(NewColumn(c) for c in [*layout.keys.values(), *layout.measures.values()])
        fill = _fill_select(aggregate, layout)
        table = NewTable(catalog, schema, name, columns, fill, aggregate.source, kind="aggregate")
        users = []
        for block in aggregate.blocks:
            if rewrite_block(block, layout):
                rewritten[block.queryid] = asts[id(block)]
                users.append(block.queryid)
            else:
                failed.add(block.queryid)
        if not users:
            continue
        plan = replace(plan, tables=(*plan.tables, table))
        keys = ", ".join(_unqualified_sql(k) for k in aggregate.keys.values())
        where = f" where {_unqualified_sql(aggregate.where)}" if aggregate.where is not None else ""
        groups = _groups(model, aggregate)
        rows = model.row_count(aggregate.source)
        # The estimate multiplies the keys' value counts: never more groups than rows.
        after = min(groups, rows) if groups is not None and rows is not None and math.isfinite(groups) else None
        details = card(
            model,
            "pre_aggregation",
            tables=[table.qualified],
            sources=[aggregate.source],
            queryids=users,
            rows_after=after,
            rationale=f"the GROUP BY ({keys}){where} over {aggregate.source.qualified} is answered exactly by "
            "re-aggregating a table that holds those groups",
        )
        effect = (
            f"~{count(after)} groups instead of scanning {count(rows)} rows"
            if after is not None and rows is not None
            else "it holds the groups instead of the rows"
        )
        plan = plan.explain(
            f"pre-aggregation: {table.qualified} holds {aggregate.source.qualified} grouped by ({keys}){where}; "
            f"re-aggregated by {queries_phrase(details.queries, details.estimate.weight_share)}: {effect}",
            details,
        )
    queries = []
    for query in plan.queries:
        ast = rewritten.get(query.queryid)
        text = render_rewrite(model, ast) if ast is not None and query.queryid not in failed else None
        queries.append(PlannedQuery(query.queryid, text, "pre_aggregation") if text else query)
    return replace(plan, queries=tuple(queries))
