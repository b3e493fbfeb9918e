"""Rule: narrower integer types where the profile proves every value fits and no query can tell.

``BIGINT`` becomes ``INTEGER`` (or ``SMALLINT``) only when the profile's min and max fit, and the
workload uses the column in comparisons with constants at most: never projected, computed,
aggregated, grouped, ordered or joined on (a narrower type there could change an output type,
overflow in arithmetic, or mix types in a join). Tables read by ``SELECT *``, by an
unparsable query or through an unresolved column are left alone. No profile, no change.

Only columns of few values (:data:`MAX_DISTINCT_VALUES`: their dictionary shrinks) are
narrowed. Otherwise a narrower type saves nothing: ORC encodes integers by value whatever their
declared width, and Trino's Parquet writer with ZSTD stores many-valued integers *larger* as INT32
than as INT64 (TPC-DS ``time_dim.t_time_sk``: 122 kB as BIGINT, 217 kB as INTEGER).

>>> from jobs.engine.rules.testing import model_and_plan
>>> from jobs.contract.profile import DatabaseProfile, TableProfile, ColumnProfile
>>> profile = DatabaseProfile(tables={"c.s.t": TableProfile(name="c.s.t", row_count=1e6, columns={
...     "k": ColumnProfile(name="k", min_value="1", max_value="70000", distinct_values=70000),
...     "v": ColumnProfile(name="v", min_value="1", max_value="9", distinct_values=9)})})
>>> model, plan = model_and_plan(["CREATE TABLE c.s.t (k bigint, v bigint)"],
...                              ["SELECT count(*) FROM c.s.t WHERE k > 10"], profile)
>>> table = narrow_types(model, plan).tables[0]
>>> [(c.name, c.type_sql) for c in table.columns], table.fill_select
([('k', 'BIGINT'), ('v', 'SMALLINT')], 'SELECT k, CAST(v AS SMALLINT) FROM c.s.t')
"""

from __future__ import annotations

from dataclasses import replace

from jobs.contract.profile import ColumnProfile
from jobs.engine.model.type_families import integer_bits
from jobs.engine.model.workload_model import ColumnUsage, WorkloadModel
from jobs.engine.plan import NewColumn, Plan
from jobs.engine.readable import queries_phrase
from jobs.engine.rules.engines import serves
from jobs.engine.rules.estimates import card
from jobs.sql.quoting import quote_name

_NARROWER = (("SMALLINT", 16), ("INTEGER", 32))
#: More distinct values than this and a narrower type saves nothing (or costs) in Parquet.
MAX_DISTINCT_VALUES = 256


def _comparison_only(use: ColumnUsage | None) -> bool:
    if use is None:
        return True
    busy = use.join + use.dynamic + use.group_by + use.order_by + use.projection + use.aggregate
    return not use.computed and busy == 0


def _fits(low: str | None, high: str | None, bits: int) -> bool:
    try:
        lowest, highest = int(str(low).strip()), int(str(high).strip())
    except ValueError:
        return False
    return -(1 << (bits - 1)) <= lowest and highest < (1 << (bits - 1))


def _few_values(profile: ColumnProfile) -> bool:
    return profile.distinct_values is not None and profile.distinct_values <= MAX_DISTINCT_VALUES


@serves("trino")
def narrow_types(model: WorkloadModel, plan: Plan) -> Plan:
    """Narrow integer columns of the copied tables (profile required)."""
    if model.profile is None:
        return plan
    for table in plan.tables:
        usage = model.usage(table.source)
        if table.kind != "copy" or usage.opaque:
            continue
        columns, select, changed = [], [], []
        for column in table.columns:
            bits = integer_bits(column.type_sql)
            profile = model.column_profile(table.source, column.name)
            new_type = None
            if (
                bits is not None
                and profile is not None
                and _few_values(profile)
                and _comparison_only(usage.columns.get(column.name))
            ):
                new_type = next(
                    (
                        name
                        for name, width in _NARROWER
                        if width < bits and _fits(profile.min_value, profile.max_value, width)
                    ),
                    None,
                )
            if new_type is None:
                columns.append(column)
                select.append(quote_name(column.name))
                continue
            columns.append(NewColumn(column.name, new_type))
            select.append(f"CAST({quote_name(column.name)} AS {new_type})")
            changed.append(f"{column.name} {column.type_sql} -> {new_type}")
        if not changed:
            continue
        fill = f"SELECT {', '.join(select)} FROM {table.source.qualified}"
        plan = plan.replace_table(table, replace(table, columns=tuple(columns), fill_select=fill))
        why = (
            f"the profile's min/max fit the narrower type, each column has at most {MAX_DISTINCT_VALUES} values, "
            "and the workload only compares them with constants (no query can tell)"
        )
        details = card(
            model,
            "narrow_types",
            tables=[table.qualified],
            sources=[table.source],
            queryids=usage.queryids,
            rationale=why,
        )
        plan = plan.explain(
            f"column types: {table.qualified}: {', '.join(changed)} (the profile's min/max fit, few distinct "
            f"values; only compared with constants, by {queries_phrase(details.queries, details.estimate.weight_share)}"
            "): smaller dictionaries",
            details,
        )
    return plan
