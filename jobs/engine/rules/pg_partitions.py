"""Rule: PostgreSQL range partitions by time for very large copies the workload filters by time.

A copy of at least :data:`MIN_ROWS` rows (per the profile) whose date/timestamp column carries
the most weighted range filters is declared ``PARTITION BY RANGE`` on it, one partition per month
between the lowest and highest value ANALYZE saw (per year past :data:`MAX_PARTITIONS` months),
and a ``DEFAULT`` partition for anything else: rows of the next loads and NULLs, so no INSERT is
ever refused. A query's range filter then scans only the partitions it matches (pruning). The
copy loses its primary key: PostgreSQL requires a partitioned table's key to contain the
partition column, which would make it a different key.

>>> from jobs.contract.profile import ColumnProfile, DatabaseProfile, TableProfile
>>> from jobs.engine.rules.testing import model_and_plan
>>> at = ColumnProfile(name="at", min_value="2024-01-03 10:00:00", max_value="2024-04-30 23:59:00")
>>> profile = DatabaseProfile(tables={"d.s.t": TableProfile(name="d.s.t", row_count=2e7, columns={"at": at})})
>>> model, plan = model_and_plan(["CREATE TABLE d.s.t (id int, at timestamp)"],
...                              ["SELECT count(*) FROM d.s.t WHERE at >= TIMESTAMP '2024-03-01 00:00:00'"], profile)
>>> partitions = pg_partitions(model, plan).tables[0].range_partitions
>>> partitions.column, partitions.period, partitions.bounds[0], partitions.bounds[-1], len(partitions.bounds)
('at', 'month', '2024-01-01', '2024-05-01', 5)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import NewTable, Plan, RangePartitions
from jobs.engine.readable import share
from jobs.engine.rules.engines import serves
from jobs.engine.rules.estimates import card

#: "Very large": smaller tables are served by their indexes alone.
MIN_ROWS = 10_000_000
#: Monthly partitions up to this many; yearly past it.
MAX_PARTITIONS = 120
_TIME_TYPES = ("DATE", "TIMESTAMP")


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.strip()[:19]).date() if text else None
    except ValueError:
        return None


def period_bounds(low: dt.date, high: dt.date) -> tuple[str, tuple[str, ...]] | None:
    """Period and bounds covering ``low``..``high``, or None when that is a single period.

    >>> period_bounds(dt.date(2020, 5, 2), dt.date(2031, 1, 1))
    ('year', ('2020-01-01', '2021-01-01', '2022-01-01', '2023-01-01', '2024-01-01', '2025-01-01', \
'2026-01-01', '2027-01-01', '2028-01-01', '2029-01-01', '2030-01-01', '2031-01-01', '2032-01-01'))
    """
    months = (high.year - low.year) * 12 + high.month - low.month + 1
    if months <= MAX_PARTITIONS:
        starts = [
            dt.date(low.year + (low.month - 1 + i) // 12, (low.month - 1 + i) % 12 + 1, 1) for i in range(months + 1)
        ]
        period = "month"
    else:
        starts = [dt.date(year, 1, 1) for year in range(low.year, high.year + 2)]
        period = "year"
    return (period, tuple(d.isoformat() for d in starts)) if len(starts) > 2 else None


def _partitioning(model: WorkloadModel, table: NewTable) -> tuple[float, RangePartitions] | None:
    rows = model.row_count(table.source)
    if rows is None or rows < MIN_ROWS:
        return None
    usage = model.usage(table.source)
    best: tuple[float, RangePartitions] | None = None
    for name, used in usage.columns.items():
        column = table.source.column(name)
        if used.range <= 0 or column is None or not column.type_sql.upper().startswith(_TIME_TYPES):
            continue
        profile = model.column_profile(table.source, name)
        low, high = (_day(profile.min_value), _day(profile.max_value)) if profile else (None, None)
        found = period_bounds(low, high) if low and high and low <= high else None
        if found and (best is None or used.range > best[0]):
            best = (used.range, RangePartitions(column.name, *found))
    return best


@serves("postgres")
def pg_partitions(model: WorkloadModel, plan: Plan) -> Plan:
    """Range-partition each very large copy by the time column its queries filter most."""
    for table in plan.tables:
        if table.kind != "copy" or table.range_partitions is not None:
            continue
        found = _partitioning(model, table)
        if found is None:
            continue
        weight, partitions = found
        count = len(partitions.bounds) - 1
        why = (
            f"{weight:.0f} weighted range filters on {partitions.column}; {count} {partitions.period}ly partitions "
            "and a DEFAULT one for later loads"
        )
        details = card(
            model,
            "pg_partitions",
            tables=[table.qualified],
            sources=[table.source],
            queryids=model.usage(table.source).queryids,
            weight=weight,
            rationale=f"{why}; a query filtering on it scans only the partitions it matches",
        )
        plan = plan.replace_table(table, replace(table, range_partitions=partitions))
        plan = plan.explain(
            f"pg_partitions: {table.qualified} partitioned by range of {partitions.column} ({why}): queries "
            f"filtering on it ({share(details.estimate.weight_share)} of the workload time) skip whole partitions; "
            "the copy has no primary key (a partitioned table's key must contain the partition column)",
            details,
        )
    return plan
