"""The rules, applied in order by :func:`jobs.engine.optimize`. Each is a pure step
``(WorkloadModel, Plan) -> Plan`` that adds a line to ``Plan.recommendations`` per change.

Joins are not denormalized into wide tables (that would add storage); heavy aggregates over
joins are materialized instead (:mod:`jobs.engine.rules.materialized_blocks`).
"""

from __future__ import annotations

from collections.abc import Callable

from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import Plan
from jobs.engine.rules.materialized_blocks import materialized_blocks
from jobs.engine.rules.narrow_types import narrow_types
from jobs.engine.rules.partitioning import partitioning
from jobs.engine.rules.pg_indexes import pg_indexes
from jobs.engine.rules.pg_partitions import pg_partitions
from jobs.engine.rules.pre_aggregation import pre_aggregation
from jobs.engine.rules.sort_order import sort_order

Rule = Callable[[WorkloadModel, Plan], Plan]

#: Column types first (they change the copies' columns), then the copies' layout, then derived tables
#: (blocks over joins last: they leave queries another rule rewrote alone). Each rule serves the
#: engines its module declares (:mod:`jobs.engine.rules.engines`): Trino's five, PostgreSQL's partitions
#: and indexes.
RULES: tuple[Rule, ...] = (
    narrow_types,
    partitioning,
    sort_order,
    pre_aggregation,
    materialized_blocks,
    pg_partitions,
    pg_indexes,
)
