"""The typed card of a recommendation, its numbers taken from the workload model and the profile.

Not a rule: the rules call :func:`card` next to their prose line (see :meth:`jobs.engine.plan.Plan.explain`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from jobs.contract.result import Estimate, Recommendation
from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.workload_model import WorkloadModel


def weight_share(model: WorkloadModel, *, queryids: Iterable[str] = (), weight: float | None = None) -> float:
    """``weight`` (else the summed weight of ``queryids``) over the workload's total weight."""
    total = sum(model.weights.values())
    if total <= 0:
        return 0.0
    served = weight if weight is not None else sum(model.weights.get(q, 0.0) for q in set(queryids))
    return min(1.0, served / total)


def card(
    model: WorkloadModel,
    rule: str,
    *,
    tables: Sequence[str],
    sources: Sequence[SourceTable],
    queryids: Iterable[str],
    rationale: str,
    weight: float | None = None,
    rows_after: float | None = None,
) -> Recommendation:
    """A card for ``tables`` (new, qualified) built from ``sources``: rows and bytes are the sources'
    (``None`` unless the profile knows every one); the share is ``weight``'s, else ``queryids``'."""
    ids = sorted(set(queryids))
    unique = list({s.key: s for s in sources}.values())
    rows = [model.row_count(s) for s in unique]
    profiles = [model.table_profile(s) for s in unique]
    sizes = [p.size_bytes if p is not None else None for p in profiles]
    return Recommendation(
        rule=rule,
        tables=list(tables),
        queries=ids,
        rationale=rationale,
        estimate=Estimate(
            rows=sum(r for r in rows if r is not None) if rows and None not in rows else None,
            bytes=float(sum(s for s in sizes if s is not None)) if sizes and None not in sizes else None,
            rows_after=rows_after,
            weight_share=weight_share(model, queryids=ids, weight=weight),
        ),
    )
