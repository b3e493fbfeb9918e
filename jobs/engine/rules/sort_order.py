"""Rule: Iceberg ``sorted_by`` on each copied table's most selective, most used filter column.

Sorted files give ORC row groups (10,000 rows each, see :data:`jobs.engine.plan.FILE_FORMAT`)
narrow min/max ranges, so range and equality filters (and Trino's dynamic filters on join keys)
skip most of them. Booleans and columns the profile shows to have few values are left to
partitioning; tables the profile shows to be small are not worth sorting. Sorting never changes
a query's result.

A sort also decides how well the copy compresses. Sorting by a filter column alone breaks the
data's natural clustering: TPC-DS ``store_sales`` (sf1, ORC) sorted by ``ss_sold_date_sk`` takes
101.8 MB, by ``ss_sold_date_sk, ss_ticket_number`` 90.1 MB (unsorted 88.3 MB, the Parquet source
96.7 MB), as the rows of one ticket sit together again. So, when the profile shows one, the
table's *entity id* follows the filter column: the integer column of most distinct values among
those whose values fill their range (an order or ticket number, a surrogate key). A copy with no
filter sort is sorted by its unique dense key (one value per row), if any: it keeps the key order
the source was most likely written in, instead of the interleaving of parallel writers (TPC-DS
``customer_demographics`` sf1: 2.14 MB the source, 28 kB as ORC sorted by ``cd_demo_sk``).
A large table with neither is sorted by the date or timestamp column the workload uses most:
rows of one day sit together, as a time-ordered fact table is written, so the columns that
follow the date (year, month, day of week...) turn into runs and date filters skip row groups
(flights, 10M rows in random order: see the closing note's figure).

>>> from jobs.engine.rules.testing import model_and_plan
>>> ddl = ["CREATE TABLE c.s.sales (sold_date_sk bigint, ticket bigint, item_sk bigint, qty int)",
...        "CREATE TABLE c.s.dates (d_date_sk bigint, d_year int)"]
>>> query = "SELECT sum(qty) FROM c.s.sales JOIN c.s.dates ON sold_date_sk = d_date_sk WHERE d_year = 2000"
>>> model, plan = model_and_plan(ddl, [query])
>>> [t.sorted_by for t in sort_order(model, plan).tables]
[('sold_date_sk',), ('d_year',)]

With a profile: ``sales`` gets its ticket number after the date, ``dates`` is small and keeps
its key order.

>>> from jobs.contract.profile import DatabaseProfile, TableProfile, ColumnProfile
>>> def column(name, values, low, high):
...     return ColumnProfile(name=name, distinct_values=values, null_fraction=0.0, min_value=low, max_value=high)
>>> profile = DatabaseProfile(tables={
...     "c.s.sales": TableProfile(name="c.s.sales", row_count=2.9e6, columns={
...         "sold_date_sk": column("sold_date_sk", 1823, "2450816", "2452642"),
...         "ticket": column("ticket", 238_000, "1", "240000"),
...         "item_sk": column("item_sk", 18_000, "1", "18000")}),
...     "c.s.dates": TableProfile(name="c.s.dates", row_count=73049, columns={
...         "d_date_sk": column("d_date_sk", 71965, "2415022", "2488070")})})
>>> model, plan = model_and_plan(ddl, [query], profile)
>>> [t.sorted_by for t in sort_order(model, plan).tables]
[('sold_date_sk', 'ticket'), ('d_date_sk',)]
"""

from __future__ import annotations

from dataclasses import replace

from jobs.engine.model.type_families import type_family
from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import NewTable, Plan
from jobs.engine.readable import queries_phrase
from jobs.engine.rules.engines import serves
from jobs.engine.rules.estimates import card
from jobs.sql.quoting import quote_name

#: A column must carry this share of the table's query weight in filters to decide its order.
MIN_WEIGHT_SHARE = 0.1
MIN_DISTINCT_VALUES = 16
MIN_ROWS = 100_000
#: An id column has a distinct value for at least this share of its range (NDVs are estimates).
MIN_RANGE_FILL = 0.95
#: A unique key also has a distinct value for at least this share of the rows.
MIN_KEY_DISTINCT_SHARE = 0.95
MIN_KEY_ROWS = 1_000


def _partition_columns(table: NewTable) -> set[str]:
    columns = set()
    for field in table.partitioning:
        inner = field.split("(", 1)[1].split(",", 1)[0].rstrip(")") if "(" in field else field
        columns.add(inner.strip().strip('"').lower())
    return columns


def _entity_id(model: WorkloadModel, table: NewTable, *, unique: bool) -> str | None:
    """The integer column of most distinct values whose values fill their range.

    ``unique``: the first such column (in table order, where surrogate keys come) with one value per row.
    """
    rows = model.row_count(table.source)
    if rows is None or rows < MIN_KEY_ROWS:
        return None
    best: tuple[float, str] | None = None
    for column in table.columns:
        profile = model.column_profile(table.source, column.name)
        if type_family(column.type_sql) != "integer" or profile is None or profile.distinct_values is None:
            continue
        try:
            span = int(str(profile.max_value).strip()) - int(str(profile.min_value).strip()) + 1
        except ValueError:
            continue
        values = profile.distinct_values
        if values < MIN_RANGE_FILL * span or values < 2:
            continue
        if unique and (profile.null_fraction != 0 or values < MIN_KEY_DISTINCT_SHARE * rows):
            continue
        if unique:
            return column.name
        if best is None or values > best[0]:
            best = (values, column.name)
    return best[1] if best else None


def _time_column(model: WorkloadModel, table: NewTable) -> str | None:
    """The date/timestamp column the workload uses most, on a table the profile shows to be large."""
    rows = model.row_count(table.source)
    if rows is None or rows < MIN_ROWS:
        return None
    usage = model.usage(table.source)
    skip = _partition_columns(table)  # the partitions already group its rows
    best: tuple[float, str] | None = None
    for column in table.columns:
        use = usage.columns.get(column.name.lower())
        profile = model.column_profile(table.source, column.name)
        if type_family(column.type_sql) != "temporal" or use is None or profile is None or column.name.lower() in skip:
            continue
        if profile.distinct_values is None or profile.distinct_values < MIN_DISTINCT_VALUES:
            continue
        weight = use.filter + use.join + use.group_by + use.order_by + use.projection + use.aggregate
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, column.name)
    return best[1] if best else None


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


@serves("trino")
def sort_order(model: WorkloadModel, plan: Plan) -> Plan:
    """Sort each copied table by its heaviest selective filter column and its entity id, else by its
    unique key, else by its most used time column."""
    for table in plan.tables:
        if table.kind != "copy" or table.sorted_by:
            continue
        best = _best_column(model, table)
        readers = model.usage(table.source).queryids
        if best is None:
            key = _entity_id(model, table, unique=True)
            if key is not None:
                plan = plan.replace_table(table, replace(table, sorted_by=(quote_name(key),)))
                why = (
                    f"{key} has one value per row (the profile says): the copy keeps the key order (it compresses best)"
                )
                details = card(
                    model,
                    "sort_order",
                    tables=[table.qualified],
                    sources=[table.source],
                    queryids=readers,
                    rationale=why,
                )
                plan = plan.explain(
                    f"sort order: {table.qualified} sorted by its key {key} (one value per row, the profile "
                    "says): the copy keeps the key order, which compresses best",
                    details,
                )
                continue
            moment = _time_column(model, table)
            if moment is not None:
                plan = plan.replace_table(table, replace(table, sorted_by=(quote_name(moment),)))
                details = card(
                    model,
                    "sort_order",
                    tables=[table.qualified],
                    sources=[table.source],
                    queryids=readers,
                    rationale=f"{moment} is the time column the workload uses most; the table has no selective "
                    "filter column and no unique key",
                )
                plan = plan.explain(
                    f"sort order: {table.qualified} sorted by {moment}, its most used time column: rows of "
                    "one day sit together, so the columns that follow the date compress to runs and "
                    f"date filters of {queries_phrase(details.queries, details.estimate.weight_share)} "
                    "skip row groups",
                    details,
                )
            continue
        name, score = best
        entity = _entity_id(model, table, unique=False)
        then = entity if entity is not None and entity.lower() != name.lower() else None
        order = (quote_name(name),) if then is None else (quote_name(name), quote_name(then))
        plan = plan.replace_table(table, replace(table, sorted_by=order))
        share = score / model.usage(table.source).weight
        details = card(
            model,
            "sort_order",
            tables=[table.qualified],
            sources=[table.source],
            queryids=readers,
            weight=score,
            rationale=f"filters and dynamic join filters on {name} carry {share:.0%} of the table's query weight"
            + (f"; {then} next keeps the rows of one {then} together" if then else ""),
        )
        plan = plan.explain(
            f"sort order: {table.qualified} sorted by {name} (filters and dynamic join filters on it carry "
            f"{share:.0%} of the table's query weight): row groups it does not match are skipped"
            + (f"; then by {then}, which keeps the rows of one {then} together (they compress)" if then else ""),
            details,
        )
    return plan
