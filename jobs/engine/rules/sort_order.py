"""Rule: Iceberg ``sorted_by`` on each copied table's most selective, most used filter column.

Sorted files give Parquet row groups narrow min/max ranges, so range and equality filters
(and Trino's dynamic filters on join keys) skip most of them. Booleans and columns the profile
shows to have few values are left to partitioning; tables the profile shows to be small are
not worth sorting. Sorting never changes a query's result.

>>> from jobs.engine.rules.testing import model_and_plan
>>> model, plan = model_and_plan(
...     ["CREATE TABLE c.s.sales (sold_date_sk bigint, item_sk bigint, qty int)",
...      "CREATE TABLE c.s.dates (d_date_sk bigint, d_year int)"],
...     ["SELECT sum(qty) FROM c.s.sales JOIN c.s.dates ON sold_date_sk = d_date_sk WHERE d_year = 2000"])
>>> [t.sorted_by for t in sort_order(model, plan).tables]
[('sold_date_sk',), ('d_year',)]
"""

from __future__ import annotations

from dataclasses import replace

from jobs.engine.plan import NewTable, Plan
from jobs.engine.sql_text import quote_name
from jobs.engine.type_families import type_family
from jobs.engine.workload_model import WorkloadModel

#: A column must carry this share of the table's query weight in filters to decide its order.
MIN_WEIGHT_SHARE = 0.1
MIN_DISTINCT_VALUES = 16
MIN_ROWS = 100_000


def _partition_columns(table: NewTable) -> set[str]:
    columns = set()
    for field in table.partitioning:
        inner = field.split("(", 1)[1].split(",", 1)[0].rstrip(")") if "(" in field else field
        columns.add(inner.strip().strip('"').lower())
    return columns


def _best_column(model: WorkloadModel, table: NewTable) -> tuple[str, float] | None:
    """The column to sort by and its score (the query weight of its filters)."""
    source = table.source
    usage = model.usage(source)
    rows = model.row_count(source)
    if usage.weight <= 0 or (rows is not None and rows < MIN_ROWS):
        return None
    skip = _partition_columns(table)
    best: tuple[str, float, float] | None = None
    for name in sorted(usage.columns):
        use = usage.columns[name]
        column = source.column(name)
        profile = model.column_profile(source, name)
        if column is None or name in skip or type_family(column.type_sql) in ("boolean", "other"):
            continue
        if profile and profile.distinct_values is not None and profile.distinct_values < MIN_DISTINCT_VALUES:
            continue
        score, constant = use.range + use.equality + use.dynamic, use.range + use.equality
        # On a tie, a filter by constants beats a dynamic one (which prunes only as well as the other side).
        if score >= MIN_WEIGHT_SHARE * usage.weight and (best is None or (score, constant) > best[1:]):
            best = (name, score, constant)
    return best[:2] if best else None


def sort_order(model: WorkloadModel, plan: Plan) -> Plan:
    """Sort each copied table by its heaviest selective filter column."""
    for table in plan.tables:
        if table.kind != "copy" or table.sorted_by:
            continue
        best = _best_column(model, table)
        if best is None:
            continue
        name, score = best
        plan = plan.replace_table(table, replace(table, sorted_by=(quote_name(name),)))
        share = score / model.usage(table.source).weight
        plan = plan.explain(
            f"sort order: {table.qualified} sorted by {name} (filters and dynamic join filters on it carry "
            f"{share:.0%} of the table's query weight): Parquet row groups it does not match are skipped"
        )
    return plan
