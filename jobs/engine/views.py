"""Derived tables as Trino materialized views over the new schema's copies.

A pre-aggregated table or materialized block stored as a plain table is a snapshot: right at
migration time, wrong after the next load. As a materialized view over the copies (where new data
lands after the migration) it is exact at every moment: Trino reads the storage table while the
view is fresh (or within its GRACE PERIOD, the workload's ``max_staleness``) and computes the
definition from the copies when it is stale. Migrations fill it with ``REFRESH MATERIALIZED VIEW``,
the statement to run after each load.

A derived table whose SELECT reads anything but the plan's copies stays a table, marked snapshot:
Trino only tracks the freshness of Iceberg base tables (for others it says UNKNOWN and never
serves the storage table), and the copies are the tables new data is loaded into.

>>> from jobs.engine.rules.testing import model_and_plan
>>> from jobs.engine.rules.pre_aggregation import pre_aggregation
>>> model, plan = model_and_plan(["CREATE TABLE c.s.f (origin varchar, delay double)"],
...     ["SELECT origin, COUNT(*) AS n FROM c.s.f GROUP BY origin"])
>>> view = derived_objects(pre_aggregation(model, plan))[("c", "s_opt", "f_agg_1")]
>>> head, _, select = view.create_sql.partition(" AS ")
>>> print(head)
CREATE MATERIALIZED VIEW c.s_opt.f_agg_1 GRACE PERIOD INTERVAL '0' SECOND WITH (format = 'ORC')
>>> print(select)
SELECT origin AS origin, COUNT(*) AS m_1 FROM c.s_opt.f GROUP BY origin
>>> view.refresh
('REFRESH MATERIALIZED VIEW c.s_opt.f_agg_1',)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.contract.result import Recommendation
from jobs.sql.dialect import trino
from jobs.sql.statements import parse_statement, table_key

if TYPE_CHECKING:
    from jobs.contract.profile import DatabaseProfile
    from jobs.engine.model.source_ddl import SourceTable


class NewTable(Protocol):
    """What this module reads of :class:`jobs.engine.plan.NewTable` (which renders through it)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> SourceTable: ...
    @property
    def fill_select(self) -> str: ...
    @property
    def qualified(self) -> str: ...
    @property
    def key(self) -> tuple[str, str, str]: ...
    def with_properties(self) -> str: ...
    def create_sql(self) -> str: ...
    def insert_sql(self) -> str: ...


class PlannedQuery(Protocol):
    @property
    def queryid(self) -> str: ...
    @property
    def text(self) -> str: ...


class Plan(Protocol):
    """What this module reads of :class:`jobs.engine.plan.Plan`."""

    @property
    def tables(self) -> Sequence[NewTable]: ...
    @property
    def queries(self) -> Sequence[PlannedQuery]: ...
    @property
    def max_staleness_seconds(self) -> int: ...


#: What the plan assumes about loads, said in every report that has views.
LOAD_ASSUMPTION = (
    "views: after the migration, load new data into the new schema's copies; the views over them stay "
    "exact (stale views are computed from the copies until refreshed). A team that keeps loading the "
    "old schema must re-run the migrations."
)


def grace_period(seconds: int) -> str:
    """The GRACE PERIOD interval of a view allowed to be ``seconds`` stale.

    >>> grace_period(0), grace_period(900)
    ("INTERVAL '0' SECOND", "INTERVAL '900' SECOND")
    """
    return f"INTERVAL '{max(0, int(seconds))}' SECOND"


@dataclass(frozen=True)
class DerivedObject:
    """How a derived table is rendered: a view (or a snapshot table), its DDL, its migration, and the
    statements that bring it up to date after a load."""

    table: NewTable
    view: bool
    create_sql: str
    fill_sql: str
    refresh: tuple[str, ...]
    #: Why it is a snapshot table rather than a view ('' for a view).
    reason: str = ""
    #: The copies a view reads (a refresh scans them).
    reads: tuple[NewTable, ...] = ()


def over_copies(plan: Plan, table: NewTable) -> tuple[str | None, str, tuple[NewTable, ...]]:
    """``table``'s SELECT reading the plan's copies instead of the source tables (and those copies),
    or None and why not."""
    copies = {t.source.key: t for t in plan.tables if t.kind == "copy"}
    try:
        tree = parse_statement(table.fill_select)
    except (SqlglotError, ValueError) as exc:
        return None, f"its SELECT does not parse ({str(exc).splitlines()[0][:80]})", ()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    read: dict[tuple[str, str, str], NewTable] = {}
    for node in list(tree.find_all(exp.Table)):
        key = table_key(node)
        if len(key) == 1 and key[0] in ctes:
            continue
        copy = copies.get(key) if len(key) == 3 else None
        if copy is None:
            return None, f"it reads {'.'.join(key)}, which is not a table the plan copies", ()
        read[copy.key] = copy
        name = exp.to_table(copy.qualified, dialect=trino())
        for part in ("this", "db", "catalog"):  # the alias stays
            node.set(part, name.args.get(part))
    for column in tree.find_all(exp.Column):
        if column.args.get("db") is not None:  # a column qualified by a full table name
            return None, f"it names a column by its table's full name ({column.sql(trino())})", ()
    return tree.sql(trino()), "", tuple(read.values())


def derived_object(plan: Plan, table: NewTable) -> DerivedObject:
    """A derived ``table`` as a materialized view over the copies, or as a snapshot table."""
    select, reason, reads = over_copies(plan, table)
    if select is None:
        insert = table.insert_sql()
        reload = (f"DELETE FROM {table.qualified}", insert)
        return DerivedObject(table, False, table.create_sql(), insert, reload, reason)
    create = (
        f"CREATE MATERIALIZED VIEW {table.qualified} GRACE PERIOD {grace_period(plan.max_staleness_seconds)} "
        f"{table.with_properties()} AS {select}"
    )
    refresh = f"REFRESH MATERIALIZED VIEW {table.qualified}"
    return DerivedObject(table, True, create, refresh, (refresh,), reads=reads)


def derived_objects(plan: Plan) -> dict[tuple[str, str, str], DerivedObject]:
    """Every derived table of ``plan`` by key, in plan order (views read only copies: any order refreshes)."""
    return {t.key: derived_object(plan, t) for t in plan.tables if t.kind != "copy"}


def refresh_statements(plan: Plan) -> list[str]:
    """The statements to run after each load, in dependency order (views read only copies)."""
    return [statement for derived in derived_objects(plan).values() for statement in derived.refresh]


def _cost(derived: DerivedObject, profile: DatabaseProfile | None) -> str:
    rows = bytes_ = 0.0
    for copy in derived.reads:
        known = profile.table(copy.source.qualified.replace('"', "")) if profile else None
        if known is None or known.row_count is None:
            return "a scan of " + ", ".join(c.qualified for c in derived.reads)
        rows += known.row_count
        bytes_ += known.size_bytes or 0
    size = f", {bytes_ / 1e6:.1f} MB" if bytes_ else ""
    return f"a scan of {', '.join(c.qualified for c in derived.reads)} ({rows:,.0f} rows{size})"


def explain_views(plan: Plan, profile: DatabaseProfile | None) -> list[Recommendation]:
    """One card per derived object: which queries it serves, what a refresh costs or why it is a snapshot."""
    cards = []
    for derived in derived_objects(plan).values():
        name = derived.table.qualified
        readers = sorted({q.queryid for q in plan.queries if name in q.text})
        served = f"serves queries {', '.join(readers)}" if readers else "serves no query"
        if derived.view:
            grace = grace_period(plan.max_staleness_seconds)
            line = (
                f"materialized view: {name} {served}; GRACE PERIOD {grace}; after each load run "
                f"{derived.fill_sql} ({_cost(derived, profile)})"
            )
            why = "a view is exact at every moment: read from its storage while fresh, from the copies when stale"
            cards.append(Recommendation(rule="refresh", tables=[name], queries=readers, rationale=why, summary=line))
        else:
            line = (
                f"snapshot: {name} is a table, not a view ({derived.reason}); it {served} "
                f"and goes stale at the next load: refresh it with {'; then '.join(derived.refresh)}"
            )
            cards.append(
                Recommendation(rule="refresh", tables=[name], queries=readers, rationale=derived.reason, summary=line)
            )
    if any(d.view for d in derived_objects(plan).values()):
        cards.append(Recommendation(rule="refresh", rationale="where new data must land", summary=LOAD_ASSUMPTION))
    return cards
