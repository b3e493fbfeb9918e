"""Rule: Iceberg partitioning of the copied tables, from filters and the profile's row counts.

Candidates, per table, from the columns its queries filter on:

* ``day``/``month``/``year`` of a filtered DATE/TIMESTAMP column, the finest granularity that
  still leaves :data:`MIN_ROWS_PER_PARTITION` rows per partition;
* identity on an equality-filtered column with at most :data:`MAX_IDENTITY_VALUES` values;
* ``bucket(col, N)`` on a high-cardinality equality or dynamic-filter join key.

One partition field at most, and only when the profile gives the row count (and the column's
value count or range): without a profile no table is partitioned, since too fine a layout
costs more than it saves. When the profile also gives the table's size, each partition must
hold :data:`MIN_BYTES_PER_PARTITION` too: a wide table may pass the row test and still be cut
into files too small to compress well or to be worth opening.

>>> from jobs.engine.rules.testing import model_and_plan
>>> from jobs.contract.profile import DatabaseProfile, TableProfile, ColumnProfile
>>> profile = DatabaseProfile(tables={"c.s.t": TableProfile(name="c.s.t", row_count=5e8, columns={
...     "d": ColumnProfile(name="d", distinct_values=365, min_value="2020-01-01", max_value="2020-12-31")})})
>>> model, plan = model_and_plan(["CREATE TABLE c.s.t (d date, v double)"],
...                              ["SELECT sum(v) FROM c.s.t WHERE d >= DATE '2020-06-01'"], profile)
>>> partitioning(model, plan).tables[0].partitioning
('day(d)',)
>>> profile.tables["c.s.t"].size_bytes = 4 * 10**9  # 11 MB a day: months instead
>>> model, plan = model_and_plan(["CREATE TABLE c.s.t (d date, v double)"],
...                              ["SELECT sum(v) FROM c.s.t WHERE d >= DATE '2020-06-01'"], profile)
>>> partitioning(model, plan).tables[0].partitioning
('month(d)',)
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.type_families import type_family
from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import NewTable, Plan
from jobs.engine.readable import share
from jobs.engine.rules.engines import serves
from jobs.engine.rules.estimates import card
from jobs.sql.quoting import quote_name

#: Fewer rows than this per partition makes files too small to be worth it.
MIN_ROWS_PER_PARTITION = 1_000_000
#: Fewer stored bytes than this per partition (when the profile gives the size) makes files too small.
MIN_BYTES_PER_PARTITION = 64 * 1024 * 1024
MAX_PARTITIONS = 5_000
MAX_IDENTITY_VALUES = 64
MIN_BUCKET_VALUES = 10_000
#: A column must carry at least this share of the table's query weight to shape its layout.
MIN_WEIGHT_SHARE = 0.2

_GRANULARITY_DAYS = (("day", 1.0), ("month", 30.44), ("year", 365.25))


def _day_span(model: WorkloadModel, source: SourceTable, column: str) -> float | None:
    profile = model.column_profile(source, column)
    if profile is None:
        return None
    if profile.min_value and profile.max_value:
        try:
            low = datetime.date.fromisoformat(profile.min_value.strip()[:10])
            high = datetime.date.fromisoformat(profile.max_value.strip()[:10])
            return float((high - low).days + 1)
        except ValueError:
            pass
    return profile.distinct_values


def _capacity(model: WorkloadModel, source: SourceTable, rows: float) -> float:
    """The most partitions the table can be cut into, by its rows and (if known) its bytes."""
    capacity = min(rows / MIN_ROWS_PER_PARTITION, float(MAX_PARTITIONS))
    profile = model.table_profile(source)
    if profile is not None and profile.size_bytes is not None:
        capacity = min(capacity, profile.size_bytes / MIN_BYTES_PER_PARTITION)
    return capacity


def _temporal(model: WorkloadModel, source: SourceTable, column: str, capacity: float) -> tuple[str, float] | None:
    span = _day_span(model, source, column)
    if span is None:
        return None
    for transform, days in _GRANULARITY_DAYS:
        partitions = max(1.0, span / days)
        if partitions <= capacity:
            return f"{transform}({quote_name(column)})", partitions
    return None


def _candidate(model: WorkloadModel, table: NewTable) -> tuple[float, str, str] | None:
    source = table.source
    rows = model.row_count(source)
    usage = model.usage(source)
    if rows is None or usage.weight <= 0:
        return None
    capacity = _capacity(model, source, rows)
    best: tuple[float, str, str] | None = None
    for name, use in usage.columns.items():
        column = source.column(name)
        profile = model.column_profile(source, name)
        if column is None:
            continue
        family = type_family(column.type_sql)
        values = profile.distinct_values if profile else None
        found: tuple[float, str, str] | None = None
        if family == "temporal" and use.filter > 0:
            temporal = _temporal(model, source, name, capacity)
            if temporal:
                found = (use.filter, temporal[0], f"{use.filter:.0f} weighted filters, ~{temporal[1]:.0f} partitions")
        elif values is not None and use.equality > 0 and values <= MAX_IDENTITY_VALUES:
            if max(values, 1.0) <= capacity:
                found = (use.equality, quote_name(name), f"equality filters on {values:.0f} values")
        elif values is not None and values >= MIN_BUCKET_VALUES and use.equality + use.dynamic > 0:
            buckets = 1
            while buckets * 2 <= min(capacity, 512):
                buckets *= 2
            if buckets >= 4:
                score = use.equality + use.dynamic
                found = (score, f"bucket({quote_name(name)}, {buckets})", f"{values:.0f} values, point/join lookups")
        if found and found[0] >= MIN_WEIGHT_SHARE * usage.weight and (best is None or found[0] > best[0]):
            best = found
    return best


@serves("trino")
def partitioning(model: WorkloadModel, plan: Plan) -> Plan:
    """Partition each copied table on its most-filtered column when the profile says it pays."""
    unprofiled = []
    for table in plan.tables:
        if table.kind != "copy" or table.partitioning:
            continue
        if model.row_count(table.source) is None:
            unprofiled.append(table.name)
            continue
        candidate = _candidate(model, table)
        if candidate is None:
            continue
        score, transform, why = candidate
        details = card(
            model,
            "partitioning",
            tables=[table.qualified],
            sources=[table.source],
            queryids=model.usage(table.source).queryids,
            weight=score,
            rationale=f"{why}; a query filtering on it reads only the partitions it matches",
        )
        plan = plan.replace_table(table, replace(table, partitioning=(transform,)))
        plan = plan.explain(
            f"partitioning: {table.qualified} partitioned by {transform} ({why}): queries filtering on it "
            f"({share(details.estimate.weight_share)} of the workload time) skip whole partitions",
            details,
        )
    if unprofiled and model.profile is not None:
        names = [t.qualified for t in plan.tables if t.kind == "copy" and t.name in unprofiled]
        plan = plan.explain(
            f"partitioning: no row counts for {', '.join(unprofiled)}: left unpartitioned",
            card(
                model,
                "partitioning",
                tables=names,
                sources=[],
                queryids=(),
                rationale="the profile has no row count for them, and too fine a layout costs more than it saves",
            ),
        )
    return plan
