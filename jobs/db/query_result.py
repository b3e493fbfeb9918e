"""What a statement returned, whichever client ran it (JDBC or the Trino client)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    #: Column types as the database names them, when the client reports them.
    types: list[str] = field(default_factory=list)
    query_id: str | None = None
    #: The database's own wall time for the statement, milliseconds (excludes client-side waits).
    elapsed_ms: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def dicts(self) -> list[dict[str, Any]]:
        """Rows as ``{column: value}`` (column names lower-cased)."""
        names = [name.lower() for name in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]
