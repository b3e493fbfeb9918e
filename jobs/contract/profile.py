"""What lakeopt learned from the live database: one typed :class:`DatabaseProfile`.

Filled by ``jobs.db`` (Trino ``SHOW STATS``/``EXPLAIN``, PostgreSQL ``pg_stats``), consumed by
the engine. Every field is optional: an unreachable database yields an empty profile plus a
warning, and the engine proceeds from DDL and workload alone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ColumnProfile(BaseModel):
    name: str
    data_size: float | None = None
    distinct_values: float | None = None
    null_fraction: float | None = None
    #: Lowest and highest values, as the database printed them.
    min_value: str | None = None
    max_value: str | None = None
    #: PostgreSQL's ``pg_stats.correlation``: how closely the rows' physical order follows the
    #: column's order (1 for append-ordered timestamps, where a BRIN index pays).
    correlation: float | None = None


class TableProfile(BaseModel):
    #: Fully qualified, lower-case ``catalog.schema.table``.
    name: str
    row_count: float | None = None
    size_bytes: int | None = None
    columns: dict[str, ColumnProfile] = Field(default_factory=dict)


class QueryExplain(BaseModel):
    queryid: str
    estimated_rows: float | None = None
    estimated_bytes: float | None = None
    #: The plan as the database printed it (JSON text), for the report and the LLM.
    plan: str | None = None
    error: str | None = None


class IndexCosts(BaseModel):
    """PostgreSQL what-if costs (hypopg): each query's planner cost without and with each
    hypothetical index, alone. Keys of ``costs``/``sizes`` are the engine's candidate keys."""

    #: Planner cost (``Total Cost``) of each query as the database is.
    base: dict[str, float] = Field(default_factory=dict)
    #: candidate -> queryid -> cost with that one hypothetical index.
    costs: dict[str, dict[str, float]] = Field(default_factory=dict)
    #: candidate -> estimated index size in bytes (``hypopg_relation_size``).
    sizes: dict[str, int] = Field(default_factory=dict)


class DatabaseProfile(BaseModel):
    engine: Literal["trino", "postgresql"] | None = None
    tables: dict[str, TableProfile] = Field(default_factory=dict)
    explains: dict[str, QueryExplain] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    #: None when no what-if costing ran (Trino, hypopg missing, turned off).
    index_costs: IndexCosts | None = None

    def table(self, name: str) -> TableProfile | None:
        return self.tables.get(name.lower())
