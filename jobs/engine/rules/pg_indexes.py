"""PostgreSQL B-tree indexes for the workload's selective filters and join keys, chosen by
what-if costs where the profile has them (hypopg), else by rules.

Candidates, per query and table (tables of at least :data:`MIN_ROWS` rows): the equality filter
columns, most selective first, then one range column (a B-tree serves equality prefixes and one
range after them); each filter or join column alone; and the first of those with the query's
other columns of the table as ``INCLUDE``, so the query can be answered by an index-only scan.
Columns that lead the primary key are indexed already.

With what-if costs (:class:`jobs.contract.profile.IndexCosts`): greedy, Dexter-style. A candidate
counts for a query only when it lowers that query's planner cost by :data:`MIN_CUT` or more. The
score is the contract's z estimated from costs: x the time-weighted mean of the queries' cost
ratios, y the data's bytes over the data's plus the chosen indexes' (hypopg's size estimates), so
an index must buy more speed than its size costs. Each round keeps the candidate that raises the
score most, while it raises it by :data:`MIN_GAIN` or more. A query's cost with several chosen
indexes is taken as its cost with the best one alone (the planner uses one index per table scan, mostly).

Rules alone: the leading candidate of each query and table whose equality selectivity (pg_stats
``n_distinct``) is at most :data:`SELECTIVE`, or that has a range filter; and join keys whose
other side the query filters (a nested loop then probes them).

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
from dataclasses import dataclass, field, replace

from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.workload_model import TableUsage, WorkloadModel, query_usage
from jobs.engine.plan import NewIndex, Plan
from jobs.engine.rules.engines import serves
from jobs.sql.quoting import qualified, quote_name

#: Smaller tables are read whole faster than through an index.
MIN_ROWS = 10_000
#: Equality selectivity (1 / distinct values) at or under which the rules alone index a filter.
SELECTIVE = 0.05
#: A candidate counts for a query only when it cuts the query's planner cost by this share.
MIN_CUT = 0.2
#: A candidate is kept when it raises the estimated z by at least this share.
MIN_GAIN = 0.01
#: Covering indexes carry at most this many extra columns.
MAX_INCLUDE = 4


@dataclass
class Candidate:
    """An index on a source table, and the queries it may serve."""

    index: NewIndex
    queryids: set[str] = field(default_factory=set)
    #: Chosen by the rules alone (the fallback without what-if costs).
    by_rule: bool = False

    @property
    def key(self) -> str:
        return candidate_key(self.index)


def candidate_key(index: NewIndex) -> str:
    """The candidate's identity in :class:`jobs.contract.profile.IndexCosts` (its hypothetical DDL)."""
    return hypothetical_sql(index)


def hypothetical_sql(index: NewIndex) -> str:
    """The ``CREATE INDEX`` on the source table that ``hypopg_create_index`` is given.

    >>> hypothetical_sql(NewIndex(("d", "s", "t"), ("a", "b"), ("c",)))
    'CREATE INDEX ON d.s.t (a, b) INCLUDE (c)'
    """
    sql = f"CREATE INDEX ON {qualified(*index.table)} ({', '.join(map(quote_name, index.columns))})"
    if index.include:
        sql += f" INCLUDE ({', '.join(map(quote_name, index.include))})"
    return sql


def _selectivity(model: WorkloadModel, source: SourceTable, column: str) -> float | None:
    profile = model.column_profile(source, column)
    distinct = profile.distinct_values if profile else None
    return 1.0 / distinct if distinct else None


def _table_candidates(model: WorkloadModel, usage: TableUsage) -> list[Candidate]:
    source = usage.source
    rows = model.row_count(source)
    if rows is None or rows < MIN_ROWS:
        return []
    pk_lead = source.primary_key[:1]
    columns = usage.columns

    def sel(name: str) -> float:
        found = _selectivity(model, source, name)
        return found if found is not None else 1.0

    equality = sorted((c for c, u in columns.items() if u.equality > 0), key=lambda c: (sel(c), c))
    ranges = sorted((c for c, u in columns.items() if u.range > 0 and c not in equality), key=lambda c: (sel(c), c))
    joins = sorted(c for c, u in columns.items() if u.join > 0)
    used = [c.name.lower() for c in source.columns if c.key in columns]
    found: list[Candidate] = []

    def add(cols: tuple[str, ...], by_rule: bool, include: tuple[str, ...] = ()) -> None:
        if (cols and cols[: len(pk_lead)] != pk_lead) or (cols and not pk_lead):
            found.append(Candidate(NewIndex(source.key, cols, include), by_rule=by_rule))

    lead = (*equality, *ranges[:1])
    if lead:
        eq_selectivity = 1.0
        for column in equality:
            eq_selectivity *= sel(column)
        rule_pick = eq_selectivity <= SELECTIVE or bool(ranges)
        extra = tuple(c for c in used if c not in lead)
        covering = not usage.opaque and 0 < len(extra) <= MAX_INCLUDE
        add(lead, rule_pick and not covering)
        if covering:
            add(lead, rule_pick, extra)
    for column in dict.fromkeys([*equality, *ranges, *joins]):
        add((column,), column in joins and columns[column].dynamic > 0 and (column,) != lead)
    return found


def index_candidates(model: WorkloadModel) -> list[Candidate]:
    """Every candidate of every query, merged by key (in first-seen order)."""
    merged: dict[str, Candidate] = {}
    for query in model.queries:
        for usage in query_usage(query, model.namespaces).values():
            for candidate in _table_candidates(model, usage):
                kept = merged.setdefault(candidate.key, candidate)
                kept.queryids.add(query.queryid)
                kept.by_rule |= candidate.by_rule
    return list(merged.values())


def _score(model: WorkloadModel, base: dict[str, float], current: dict[str, float], ratio: float) -> float:
    """The contract's z estimated from planner costs: x the weighted mean speed-up, y the storage ratio."""
    total = sum(model.weights[q] for q in base) or 1.0
    x = sum(model.weights[q] * base[q] / current[q] for q in base) / total
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
        key = (candidate.index.table, candidate.index.columns)
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
        picked = [
            (c, f"removes {share:.0%} of the workload's weighted planner cost")
            for c, share in _greedy(model, candidates)
        ]
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
