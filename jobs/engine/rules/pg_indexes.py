"""PostgreSQL indexes for the workload's selective filters and join keys (B-tree, covering,
partial and BRIN candidates of :mod:`jobs.engine.rules.pg_index_candidates`), chosen by what-if
costs where the profile has them (hypopg), else by rules.

With what-if costs (:class:`jobs.contract.profile.IndexCosts`): greedy, Dexter-style. A candidate
counts for a query only when it lowers that query's planner cost by :data:`MIN_CUT` or more. The
score is the contract's z estimated from costs: x the time-weighted mean of the queries' cost
ratios (each at most ``MAX_SPEEDUP``), y the data's bytes over the data's plus the chosen
indexes' (hypopg's size estimates), so an index must buy more speed than its size costs. Each
round keeps the candidate that raises the score most, while it raises it by :data:`MIN_GAIN` or
more. A query's cost with several chosen indexes is taken as its cost with the best one alone
(the planner uses one index per table scan, mostly).

Rules alone: the leading candidate of each query and table whose equality selectivity (pg_stats
``n_distinct``) is at most ``SELECTIVE``, or that has a range filter (a BRIN instead of a B-tree
for an append-ordered timestamp range); and join keys whose other side the query filters (a
nested loop then probes them). Partial indexes need the what-if costs: only the planner's
most-common-value statistics say whether the pinned value is rare.

>>> from jobs.contract.profile import ColumnProfile, DatabaseProfile, TableProfile
>>> from jobs.engine.rules.testing import model_and_plan
>>> profile = DatabaseProfile(tables={"d.s.t": TableProfile(name="d.s.t", row_count=1e6, columns={
...     "a": ColumnProfile(name="a", distinct_values=1e5), "b": ColumnProfile(name="b", distinct_values=10)})})
>>> model, plan = model_and_plan(["CREATE TABLE d.s.t (a int, b int, c int)"],
...                              ["SELECT c FROM d.s.t WHERE b = 1 AND a = 5"], profile)
>>> [(i.columns, i.include) for i in pg_indexes(model, plan).indexes]
[(('a', 'b'), ('c',))]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import Plan
from jobs.engine.rules.engines import serves
from jobs.engine.rules.pg_index_candidates import MAX_INCLUDE, Candidate, index_candidates

#: A candidate counts for a query only when it cuts the query's planner cost by this share.
MIN_CUT = 0.2
#: A candidate is kept when it raises the estimated z by at least this share.
MIN_GAIN = 0.01
#: A query's estimated speed-up at most: planner cost ratios reach 10,000 (an index probe against a
#: scan of 12M rows), but the round trip, parse and plan bound what the clock sees, and one query
#: so far ahead would make every further index look worthless in the weighted mean (TPC-H-like
#: bench at 12M line items: 2 indexes chosen without the cap, z 10.8 measured; rules alone 16.6).
MAX_SPEEDUP = 100.0


def _score(model: WorkloadModel, base: dict[str, float], current: dict[str, float], ratio: float) -> float:
    """The contract's z estimated from planner costs: x the weighted mean speed-up (each capped at
    :data:`MAX_SPEEDUP`), y the storage ratio."""
    total = sum(model.weights[q] for q in base) or 1.0
    x = sum(model.weights[q] * min(base[q] / current[q], MAX_SPEEDUP) for q in base) / total
    return float(x ** (2 / 3) * ratio)


def _greedy(model: WorkloadModel, candidates: list[Candidate]) -> list[tuple[Candidate, float]]:
    """The candidates the what-if costs keep, each with the estimated z after it."""
    costs = model.profile.index_costs if model.profile else None
    assert costs is not None and model.profile is not None
    base = {q: c for q, c in costs.base.items() if c > 0 and q in model.weights}
    data = float(sum(t.size_bytes or 0 for t in model.profile.tables.values())) or 1.0
    current, added = dict(base), 0.0
    best_score = _score(model, base, current, 1.0)
    remaining = [c for c in candidates if c.key in costs.costs]
    chosen: list[tuple[Candidate, float]] = []
    while remaining:
        best: tuple[float, Candidate, dict[str, float]] | None = None
        for candidate in remaining:
            trial = dict(current)
            for queryid, cost in costs.costs[candidate.key].items():
                if queryid in base and cost <= (1 - MIN_CUT) * base[queryid]:
                    trial[queryid] = min(trial[queryid], cost)
            size = costs.sizes.get(candidate.key, 0)
            score = _score(model, base, trial, data / (data + added + size))
            if score > best_score * (1 + MIN_GAIN) and (best is None or score > best[0]):
                best = (score, candidate, trial)
        if best is None:
            break
        best_score, candidate, current = best
        added += costs.sizes.get(candidate.key, 0)
        chosen.append((candidate, best_score))
        remaining.remove(candidate)
    return chosen


def _one_per_key(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One index per table and key columns: the queries' covering columns merged (none past
    :data:`MAX_INCLUDE`, where the index would grow towards a copy of the table)."""
    merged: dict[tuple[object, ...], Candidate] = {}
    for candidate in candidates:
        key = (candidate.index.table, candidate.index.columns, candidate.index.method, candidate.index.where)
        kept = merged.get(key)
        if kept is None:
            merged[key] = Candidate(candidate.index, set(candidate.queryids), by_rule=True)
            continue
        include = tuple(dict.fromkeys((*kept.index.include, *candidate.index.include)))
        kept.index = replace(kept.index, include=include if len(include) <= MAX_INCLUDE else ())
        kept.queryids |= candidate.queryids
    return list(merged.values())


@serves("postgres")
def pg_indexes(model: WorkloadModel, plan: Plan) -> Plan:
    """Index the new tables for the workload's selective filters and join keys."""
    candidates = index_candidates(model)
    if model.profile is not None and model.profile.index_costs is not None:
        # The greedy's running score: the contract's z estimated from planner costs and index sizes.
        picked = [(c, f"the z estimated from planner costs rises to {z:.2f}") for c, z in _greedy(model, candidates)]
    else:
        picked = [(c, "chosen by rule (no what-if costs)") for c in _one_per_key(c for c in candidates if c.by_rule)]
    indexes = list(plan.indexes)
    for candidate, why in picked:
        table = plan.table_for(model.namespaces.by_key[candidate.index.table])
        if table is None:
            continue
        index = replace(candidate.index, table=table.key)
        if index.key in {i.key for i in indexes}:
            continue
        indexes.append(index)
        include = f" INCLUDE ({', '.join(index.include)})" if index.include else ""
        plan = plan.explain(
            f"pg_indexes: index {table.qualified} ({', '.join(index.columns)}){include}: {why} "
            f"(queries {', '.join(sorted(candidate.queryids))})"
        )
    return replace(plan, indexes=tuple(indexes))
