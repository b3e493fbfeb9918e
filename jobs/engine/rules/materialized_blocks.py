"""Rule: materialize heavy aggregate blocks over joins (star joins included) as small tables.

Each qualifying block (see :mod:`jobs.engine.analysis.join_blocks`) of a heavy query becomes a table
holding its groups; the query reads that table instead of joining and aggregating the source
tables. Blocks with the same text share one table. A block is skipped when the profile says
its groups would not be small next to the tables it joins (estimated from row counts, NDVs and
the selectivity of its constant filters; without a profile the number of tables is capped).
Queries another rule already rewrote are left alone.

>>> from jobs.engine.rules.testing import model_and_plan
>>> model, plan = model_and_plan(
...     ["CREATE TABLE c.s.sales (item_id int, amount decimal(10, 2))",
...      "CREATE TABLE c.s.item (id int, brand varchar)"],
...     ["SELECT i.brand, SUM(s.amount) AS total FROM c.s.sales s JOIN c.s.item i ON s.item_id = i.id "
...      "GROUP BY i.brand HAVING COUNT(*) > 1 ORDER BY total DESC"])
>>> plan = materialized_blocks(model, plan)
>>> select, _, rest = plan.tables[-1].fill_select.partition(" FROM ")
>>> print(select)
SELECT i.brand AS k_1, SUM(s.amount) AS a_1, COUNT(*) AS a_2
>>> print(rest)
c.s.sales AS s JOIN c.s.item AS i ON s.item_id = i.id GROUP BY i.brand
>>> print(plan.queries[0].text)
SELECT k_1 AS brand, a_1 AS total FROM c.s_opt.sales_block_1 WHERE a_2 > 1 ORDER BY total DESC
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from sqlglot import exp

from jobs.engine.analysis.join_blocks import JoinBlock, analyze_join_block, nested_scopes, owner
from jobs.engine.model.query_blocks import blocks
from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.workload_model import WorkloadModel, conjuncts
from jobs.engine.plan import NewColumn, NewTable, Plan, PlannedQuery
from jobs.engine.readable import count, queries_phrase
from jobs.engine.rewrite.join_block_rewrite import BlockLayout, fill_select, layout_for, rewrite_join_block
from jobs.engine.rewrite.rewritten_text import render_rewrite
from jobs.engine.rules.engines import serves
from jobs.engine.rules.estimates import card

#: A block's query must weigh at least this share of the workload.
MIN_WEIGHT_SHARE = 0.001
#: At most this many tables, from the heaviest queries down (which also bounds the analysis time).
MAX_TABLES = 24
#: With a profile: the estimated groups may be at most this share of the largest joined table's rows.
MAX_GROUP_RATIO = 0.1
#: Selectivity assumed for a range filter on a constant (a cost-based optimizer's usual guess).
RANGE_SELECTIVITY = 0.25


@dataclass
class _Table:
    fill: str
    weight: float
    first: JoinBlock
    blocks: list[JoinBlock] = field(default_factory=list)


def _selectivity(model: WorkloadModel, block: JoinBlock, condition: exp.Expr) -> float:
    """Selectivity of the constant filters among the AND terms of ``condition``."""
    factor = 1.0
    for node in conjuncts(condition):
        columns = list(node.find_all(exp.Column))
        if len(columns) != 1 or node.find(exp.Query) is not None:
            continue
        alias = owner(columns[0], block.aliases)
        profile = model.column_profile(block.aliases[alias], columns[0].name) if alias else None
        values = profile.distinct_values if profile and profile.distinct_values else None
        if isinstance(node, exp.EQ) and values:
            factor /= values
        elif isinstance(node, exp.In) and values:
            factor *= min(1.0, len(node.expressions) / values)
        elif isinstance(node, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.Between):
            factor *= RANGE_SELECTIVITY
    return factor


def _estimated_groups(model: WorkloadModel, block: JoinBlock) -> tuple[float, float] | None:
    """(estimated groups, rows of the largest joined table), or ``None`` without a full profile."""
    rows = {alias: model.row_count(source) for alias, source in block.aliases.items()}
    if any(r is None for r in rows.values()):
        return None
    largest = max(r for r in rows.values() if r is not None)
    conditions = [block.select.args["where"].this] if block.select.args.get("where") is not None else []
    conditions.extend(j.args["on"] for j in block.select.args.get("joins") or [] if j.args.get("on") is not None)
    filtered = largest
    for condition in conditions:
        filtered *= _selectivity(model, block, condition)
    per_table: dict[str, float] = {}
    for key in block.keys.values():
        for column in key.find_all(exp.Column):
            alias = owner(column, block.aliases)
            profile = model.column_profile(block.aliases[alias], column.name) if alias else None
            if alias is None or profile is None or not profile.distinct_values:
                return None
            per_table[alias] = per_table.get(alias, 1.0) * (profile.distinct_values + 1)
    groups = math.prod(min(value, rows[alias] or 1.0) for alias, value in per_table.items())
    return min(groups, max(filtered, 1.0)), largest


def _small_enough(model: WorkloadModel, block: JoinBlock) -> bool:
    if model.profile is None:
        # Without row counts: joins and global aggregates are worth it; one table's groups may
        # be as many as its rows, and pre-aggregation already took the blocks it could size.
        return len(block.aliases) > 1 or not block.keys
    estimate = _estimated_groups(model, block)
    return estimate is not None and estimate[0] <= max(1.0, estimate[1] * MAX_GROUP_RATIO)


def _qualifying(queryid: str, tree: exp.Expr, model: WorkloadModel) -> bool:
    scopes = blocks(tree, model.namespaces)
    return any(analyze_join_block(queryid, s, nested_scopes(s, scopes)) for s in scopes)


def _candidates(model: WorkloadModel, plan: Plan) -> tuple[list[_Table], dict[int, exp.Expr]]:
    total = sum(model.weights.values()) or 1.0
    untouched = {q.queryid for q in plan.queries if q.rule is None}
    tables: dict[str, _Table] = {}
    trees: dict[int, exp.Expr] = {}
    for query in sorted(model.queries, key=lambda q: -model.weights.get(q.queryid, 0.0)):
        weight = model.weights.get(query.queryid, 0.0)
        if len(tables) >= MAX_TABLES:
            break
        if query.ast is None or query.queryid not in untouched or weight < MIN_WEIGHT_SHARE * total:
            continue
        if query.ast.find(exp.AggFunc) is None or not _qualifying(query.queryid, query.ast, model):
            continue
        tree = query.fresh_tree()
        scopes = blocks(tree, model.namespaces)
        for scope in scopes:
            block = analyze_join_block(query.queryid, scope, nested_scopes(scope, scopes))
            if block is None or not _small_enough(model, block):
                continue
            fill = fill_select(block, layout_for(block, "", "", ""))
            table = tables.setdefault(fill, _Table(fill, 0.0, block))
            table.blocks.append(block)
            table.weight += weight
            trees[id(block)] = tree
    return sorted(tables.values(), key=lambda t: -t.weight), trees


@serves("trino")
def materialized_blocks(model: WorkloadModel, plan: Plan) -> Plan:
    """Create a table per heavy aggregate block over joins and point the blocks at it."""
    chosen, trees = _candidates(model, plan)
    taken = {t.key for t in plan.tables}
    rewritten: dict[str, exp.Expr] = {}
    failed: set[str] = set()
    made: list[tuple[NewTable, list[str], list[SourceTable], float | None]] = []
    for candidate in chosen:
        first_alias = next(iter(candidate.first.aliases))
        source = candidate.first.aliases[first_alias]
        catalog, schema = model.namespaces.new_namespace(source)
        counter = 0
        while True:
            counter += 1
            name = f"{source.name.lower()}_block_{counter}"
            if (catalog, schema, name) not in taken:
                break
        taken.add((catalog, schema, name))
        layout: BlockLayout = layout_for(candidate.first, catalog, schema, name)
        users = []
        for block in candidate.blocks:
            if rewrite_join_block(block, layout_for(block, catalog, schema, name)):
                rewritten[block.queryid] = trees[id(block)]
                users.append(block.queryid)
            else:
                failed.add(block.queryid)
        columns = tuple(NewColumn(c) for c in layout.columns)
        table = NewTable(catalog, schema, name, columns, candidate.fill, source, kind="aggregate")
        estimate = _estimated_groups(model, candidate.first) if model.profile is not None else None
        made.append((table, users, list(candidate.first.aliases.values()), estimate[0] if estimate else None))
    queries = []
    accepted: set[str] = set()
    for query in plan.queries:
        tree = rewritten.get(query.queryid)
        text = render_rewrite(model, tree) if tree is not None and query.queryid not in failed else None
        if text:
            accepted.add(query.queryid)
        queries.append(PlannedQuery(query.queryid, text, "materialized_blocks") if text else query)
    plan = replace(plan, queries=tuple(queries))
    for table, users, joined, groups in made:
        readers = sorted(set(users) & accepted)
        if not readers:
            continue
        over = ", ".join(sorted({s.qualified for s in joined}))
        details = card(
            model,
            "materialized_blocks",
            tables=[table.qualified],
            sources=joined,
            queryids=readers,
            rows_after=groups,
            rationale=f"the same aggregate over {over} is computed on every run; its groups are small next to "
            "the tables it reads, so they are computed once by the migration",
        )
        rows = details.estimate.rows
        effect = (
            f": ~{count(groups)} rows instead of aggregating {count(rows)} source rows"
            if groups is not None and rows is not None
            else " instead of computing the aggregate"
        )
        plan = replace(plan, tables=(*plan.tables, table)).explain(
            f"materialized block: {table.qualified} holds the groups of an aggregate over {over}; "
            f"read by {queries_phrase(details.queries, details.estimate.weight_share)}{effect}",
            details,
        )
    return plan
