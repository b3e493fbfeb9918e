"""The plan as a typed object, and its rendering to the contract's JSON (:class:`PlanResult`).

Rules transform a :class:`Plan` into another; :func:`render` turns it into statements. Tables
are created in order (copies of the source tables first, derived tables after), and migrations
fill them in the same order. A derived table is rendered as a materialized view over the new
schema's copies (see :mod:`jobs.engine.views`), filled by ``REFRESH MATERIALIZED VIEW``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from jobs.contract.result import PlanResult, Recommendation, RewrittenQuery, Statement, TaskReport
from jobs.engine.model.source_ddl import SourceTable
from jobs.engine.views import derived_objects
from jobs.sql.dialect import DIALECT
from jobs.sql.quoting import qualified, quote_name

TableKind = Literal["copy", "aggregate", "prejoin"]

#: File format of the new tables. Trino's ORC writer stores integers, decimals and strings smaller
#: than its Parquet writer (TPC-DS sf1 ``store_sales``: 88.3 MB vs 98.4 MB, the Parquet source
#: 96.7 MB; integer runs and sequences compress to almost nothing) and writes 10,000-row min/max
#: indexes, so a sorted table skips data at that grain; its Parquet writer writes no page indexes.
FILE_FORMAT = "ORC"
#: ORC stores floating-point values raw, Parquet dictionary-encodes them: a table with this share of
#: DOUBLE/REAL columns stays Parquet (flights, 19 doubles of 61 columns, 10M rows: 1049 MB as ORC,
#: 961 MB as Parquet).
FLOAT_SHARE_FOR_PARQUET = 0.2


def file_format(columns: tuple[NewColumn, ...]) -> str:
    """``ORC``, or ``PARQUET`` for a table with many floating-point columns (derived tables: ORC).

    >>> file_format((NewColumn("a", "BIGINT"), NewColumn("b", "DOUBLE"))), file_format((NewColumn("a", "BIGINT"),))
    ('PARQUET', 'ORC')
    """
    floats = sum(1 for c in columns if c.type_sql.upper().split("(", 1)[0].strip() in ("DOUBLE", "REAL"))
    return "PARQUET" if columns and floats >= FLOAT_SHARE_FOR_PARQUET * len(columns) else FILE_FORMAT


@dataclass(frozen=True)
class NewColumn:
    name: str
    #: Empty for derived tables, whose types Trino derives from the filling SELECT.
    type_sql: str = ""
    #: Rendered as ``NOT NULL`` on PostgreSQL (Trino's copies never declared it).
    not_null: bool = False


@dataclass(frozen=True)
class RangePartitions:
    """PostgreSQL declarative range partitions of a copy: one per period, and a DEFAULT for the rest."""

    column: str
    #: ``month`` or ``year``.
    period: str
    #: Period starts, ISO dates, ascending; the last is the end of the last partition.
    bounds: tuple[str, ...]


@dataclass(frozen=True)
class NewTable:
    """A table of the new schema and the ``SELECT`` that fills it."""

    catalog: str
    schema: str
    name: str
    columns: tuple[NewColumn, ...]
    #: ``SELECT`` text (fully qualified, Trino) whose columns match :attr:`columns` in order.
    fill_select: str
    source: SourceTable
    kind: TableKind = "copy"
    #: Iceberg partition transforms, e.g. ``day(flightdate)``, ``bucket(ss_item_sk, 16)``.
    partitioning: tuple[str, ...] = ()
    #: Iceberg sort order columns.
    sorted_by: tuple[str, ...] = ()
    #: PostgreSQL range partitions (copies only).
    range_partitions: RangePartitions | None = None

    @property
    def qualified(self) -> str:
        return qualified(self.catalog, self.schema, self.name)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.catalog.lower(), self.schema.lower(), self.name.lower()

    def with_properties(self) -> str:
        """``WITH (format, partitioning, sorted_by)``: the layout, for a table or a view's storage."""
        properties = [f"format = '{file_format(self.columns)}'"]
        if self.partitioning:
            properties.append(f"partitioning = ARRAY[{', '.join(_string(p) for p in self.partitioning)}]")
        if self.sorted_by:
            properties.append(f"sorted_by = ARRAY[{', '.join(_string(s) for s in self.sorted_by)}]")
        return f"WITH ({', '.join(properties)})"

    def create_sql(self) -> str:
        """Copies declare their columns; derived tables take Trino's own types from their SELECT."""
        with_ = self.with_properties()
        if self.kind != "copy":
            return f"CREATE TABLE {self.qualified} {with_} AS {self.fill_select} WITH NO DATA"
        columns = ", ".join(f"{quote_name(c.name)} {c.type_sql}" for c in self.columns)
        return f"CREATE TABLE {self.qualified} ({columns}) {with_}"

    def insert_sql(self) -> str:
        columns = ", ".join(quote_name(c.name) for c in self.columns)
        return f"INSERT INTO {self.qualified} ({columns}) {self.fill_select}"


@dataclass(frozen=True)
class NewIndex:
    """A PostgreSQL index on a table of the new schema (B-tree unless ``method`` says otherwise)."""

    table: tuple[str, str, str]
    columns: tuple[str, ...]
    #: Covering columns (``INCLUDE``): stored in the leaves so the query needs no heap visit.
    include: tuple[str, ...] = ()
    #: A partial index's predicate, SQL over the table's columns (unqualified).
    where: str = ""
    method: str = "btree"

    @property
    def key(self) -> tuple[object, ...]:
        return self.table, self.columns, self.include, self.where, self.method


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class PlannedQuery:
    queryid: str
    text: str
    #: The rule that rewrote it beyond requalification, if any.
    rule: str | None = None


@dataclass(frozen=True)
class Plan:
    #: New ``(catalog, schema)`` pairs, the first in the source tables' first catalog.
    schemas: tuple[tuple[str, str], ...]
    tables: tuple[NewTable, ...]
    queries: tuple[PlannedQuery, ...]
    recommendations: tuple[str, ...] = ()
    #: One card per line of :attr:`recommendations`, in the same order.
    cards: tuple[Recommendation, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The sqlglot dialect the plan is written in.
    dialect: str = DIALECT
    #: PostgreSQL indexes on the new tables.
    indexes: tuple[NewIndex, ...] = ()
    #: The workload's ``max_staleness``: the views' GRACE PERIOD.
    max_staleness_seconds: int = 0

    def table_for(self, source: SourceTable) -> NewTable | None:
        """The 1:1 copy of ``source`` in the new schema."""
        for table in self.tables:
            if table.kind == "copy" and table.source.key == source.key:
                return table
        return None

    def replace_table(self, old: NewTable, new: NewTable) -> Plan:
        return replace(self, tables=tuple(new if t is old else t for t in self.tables))

    def explain(self, line: str, card: Recommendation | None = None) -> Plan:
        """Add a recommendation: its prose ``line`` and its typed ``card`` (whose summary becomes ``line``)."""
        card = card.model_copy(update={"summary": line}) if card else Recommendation(rule="", summary=line)
        return replace(self, recommendations=(*self.recommendations, line), cards=(*self.cards, card))


@dataclass
class OptimizedPlan:
    """What :func:`jobs.engine.optimize` returns: the contract result, the report, the typed plan."""

    result: PlanResult
    report: TaskReport
    plan: Plan | None = field(default=None, repr=False)


def render(plan: Plan) -> PlanResult:
    """The contract JSON for Trino: CREATE SCHEMA statements, CREATE TABLEs and views, then migrations
    (INSERTs, then REFRESHes), then queries (PostgreSQL: :func:`jobs.engine.postgres_ddl.render`)."""
    objects = derived_objects(plan)
    ddl = [Statement(statement=f"CREATE SCHEMA {quote_name(c)}.{quote_name(s)}") for c, s in plan.schemas]
    ddl.extend(Statement(statement=o.create_sql if (o := objects.get(t.key)) else t.create_sql()) for t in plan.tables)
    migrations = [Statement(statement=o.fill_sql if (o := objects.get(t.key)) else t.insert_sql()) for t in plan.tables]
    queries = [RewrittenQuery(queryid=q.queryid, query=q.text) for q in plan.queries]
    return PlanResult(ddl=ddl, migrations=migrations, queries=queries)
