"""The optimization engine: a workload (and, when the database was reachable, its profile) in,
a validated plan out. See :func:`optimize`."""

from jobs.engine.errors import PlanningError
from jobs.engine.model.source_ddl import check_ddl
from jobs.engine.optimizer import optimize
from jobs.engine.plan import OptimizedPlan

__all__ = ["OptimizedPlan", "PlanningError", "check_ddl", "optimize"]
