"""Index candidates for PostgreSQL, per query and table (tables of at least :data:`MIN_ROWS` rows):

* B-tree: the equality filter columns, most selective first, then one range column (a B-tree
  serves equality prefixes and one range after them); each filter or join column alone; and the
  first of those with the query's other columns of the table as ``INCLUDE``, so the query can be
  answered by an index-only scan. Columns that lead the primary key are indexed already.
* Partial: a query that pins a low-cardinality column to one literal (``status = 'open'``, a
  boolean flag) gets the index of its other filter, order or join column ``WHERE`` that
  predicate: it holds only the rows the query can want, so it is small.
* BRIN: a range filter on a date/timestamp column of a table of :data:`BRIN_MIN_ROWS` rows or
  more whose physical order follows the column (``pg_stats.correlation`` of at least
  :data:`BRIN_CORRELATION`, as with rows appended in time order): a few pages summarise it.

>>> from jobs.contract.profile import ColumnProfile, DatabaseProfile, TableProfile
>>> from jobs.engine.rules.testing import model_and_plan
>>> columns = {"at": ColumnProfile(name="at", distinct_values=1e6, correlation=0.99),
...            "status": ColumnProfile(name="status", distinct_values=3), "c": ColumnProfile(name="c")}
>>> profile = DatabaseProfile(tables={"d.s.t": TableProfile(name="d.s.t", row_count=1e6, columns=columns)})
>>> model, _ = model_and_plan(["CREATE TABLE d.s.t (at timestamp, status text, c int)"],
...     ["SELECT c FROM d.s.t WHERE at >= DATE '2024-01-01' AND status = 'open'"], profile)
>>> [(c.index.columns, c.index.method, c.index.where, c.by_rule) for c in index_candidates(model)][-2:]
[(('at',), 'btree', "status = 'open'", False), (('at',), 'brin', '', True)]

A pinned column whose number of values the statistics do not give gets no partial index:

>>> model, _ = model_and_plan(["CREATE TABLE d.s.t (at timestamp, status text, c int)"],
...     ["SELECT status FROM d.s.t WHERE at >= DATE '2024-01-01' AND c = 5"], profile)
>>> [c.index.where for c in index_candidates(model) if c.index.where]
[]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.model.workload_model import TableUsage, WorkloadModel, query_usage
from jobs.engine.plan import NewIndex
from jobs.sql.dialect import POSTGRES
from jobs.sql.quoting import qualified, quote_name

#: Smaller tables are read whole faster than through an index.
MIN_ROWS = 10_000
#: Equality selectivity (1 / distinct values) at or under which the rules alone index a filter.
SELECTIVE = 0.05
#: Covering indexes carry at most this many extra columns.
MAX_INCLUDE = 4
#: BRIN summarises ranges of pages: it pays on large tables whose order follows the column.
BRIN_MIN_ROWS = 100_000
BRIN_CORRELATION = 0.9
_TIME_TYPES = ("DATE", "TIMESTAMP")


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
    >>> hypothetical_sql(NewIndex(("d", "s", "t"), ("at",), method="brin"))
    'CREATE INDEX ON d.s.t USING brin (at)'
    """
    using = f" USING {index.method}" if index.method != "btree" else ""
    sql = f"CREATE INDEX ON {qualified(*index.table)}{using} ({', '.join(map(quote_name, index.columns))})"
    if index.include:
        sql += f" INCLUDE ({', '.join(map(quote_name, index.include))})"
    if index.where:
        sql += f" WHERE {index.where}"
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
    found.extend(_partial_candidates(model, usage, sel))
    brin = _brin_candidate(model, usage)
    if brin is not None:
        # Rules alone prefer the BRIN (a few pages) to a B-tree, covering or not, on the same range column.
        for candidate in found:
            if candidate.index.columns == brin.index.columns:
                candidate.by_rule = False
        found.append(brin)
    return found


def _partial_candidates(model: WorkloadModel, usage: TableUsage, sel: Callable[[str], float]) -> list[Candidate]:
    """Indexes ``WHERE`` each predicate that pins a column known to have few values (selectivity
    above SELECTIVE): an index for one value of a key (``customer_id = 42``) would serve only the
    workload's literal, not the next customer."""
    columns = usage.columns
    found: list[Candidate] = []
    for pinned, used in sorted(columns.items()):
        known = _selectivity(model, usage.source, pinned)
        if len(used.constants) != 1 or known is None or known <= SELECTIVE:
            continue
        others = [c for c, u in columns.items() if c != pinned and (u.equality or u.range) and not u.constants]
        ordered = [c for c, u in columns.items() if c != pinned and u.order_by]
        joined = [c for c, u in columns.items() if c != pinned and u.join]
        key = sorted(others, key=lambda c: (sel(c), c))[:1] or sorted(ordered)[:1] or sorted(joined)[:1] or [pinned]
        where = used.constants[0].sql(dialect=POSTGRES)
        if key[0] not in usage.source.primary_key[:1]:
            found.append(Candidate(NewIndex(usage.source.key, (key[0],), where=where)))
    return found


def _brin_candidate(model: WorkloadModel, usage: TableUsage) -> Candidate | None:
    rows = model.row_count(usage.source) or 0
    if rows < BRIN_MIN_ROWS:
        return None
    for name, used in sorted(usage.columns.items()):
        column = usage.source.column(name)
        profile = model.column_profile(usage.source, name)
        correlation = profile.correlation if profile else None
        if (
            used.range > 0
            and column is not None
            and column.type_sql.upper().startswith(_TIME_TYPES)
            and correlation is not None
            and abs(correlation) >= BRIN_CORRELATION
        ):
            return Candidate(NewIndex(usage.source.key, (name,), method="brin"), by_rule=True)
    return None


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
