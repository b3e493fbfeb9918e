"""Seeded, type-respecting synthetic data, generated inside the database as ``INSERT ... SELECT``
SQL (Trino's or PostgreSQL's spelling: :mod:`jobs.sandbox.generator_sql`).

Every value is a function of the row number ``i`` and a per-column salt, hashed (``xxhash64``,
``hashtextextended``): the same workload and scale always give the same data, and no rows travel
through Python. Join keys share a domain so joins match; filter literals from the queries
become the most frequent values. Foreign keys are skewed like a Zipf law of exponent ½ (``u²``
is its inverse CDF), categories like Zipf's law itself (log-uniform); :mod:`jobs.sandbox.data_shape`
decides the sizes and cardinalities.
"""

from __future__ import annotations

import hashlib
import math
import re

from jobs.sandbox.data_shape import Column, TableSpec, WorkloadShape, category_count, filter_strings, is_free_text
from jobs.sandbox.generator_sql import TRINO_SQL, TrinoSql
from jobs.sandbox.query_facts import QueryFacts

NULL_FRACTION = 0.03
DATE_PARTS = {"year": "year", "quarter": "quarter", "month": "month", "dayofmonth": "day", "day_of_month": "day"}
DATE_PARTS |= {"dayofweek": "day_of_week", "day_of_week": "day_of_week"}


def _salt(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:2], "big")


def uniform(salt: int, sql: TrinoSql = TRINO_SQL) -> str:
    """SQL for a deterministic uniform double in [0, 1) from row number ``i`` and ``salt``."""
    return sql.uniform(salt)


def skewed_index(salt: int, size: int, sql: TrinoSql = TRINO_SQL) -> str:
    """SQL for an integer in [0, size) where small values are more frequent (Zipf ½: share ∝ k^-½).

    Milder than :func:`zipf_index`, so joins of two skewed foreign keys stay bounded.
    """
    u = sql.uniform(salt)
    return f"CAST(floor(({u}) * ({u}) * {size}) AS bigint)"


def zipf_index(salt: int, size: int, sql: TrinoSql = TRINO_SQL) -> str:
    """SQL for an integer k in [0, size) with a share of about 1/(k+1) (log-uniform, Zipf's law).

    >>> zipf_index(3, 9).endswith("* 2.302585092994046)) AS bigint) - 1, 8)")
    True
    """
    return f"least(CAST(floor(exp(({sql.uniform(salt)}) * {math.log(size + 1)!r})) AS bigint) - 1, {size - 1})"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number_range(name: str, facts: QueryFacts) -> tuple[float, float]:
    literals = facts.numbers.get(name, set())
    if not literals:
        return 0.0, 1000.0
    low, high = min(literals), max(literals)
    return min(0.0, low), max(high * 2, 10.0)


class TableGenerator:
    """Builds the ``INSERT INTO ... SELECT`` for one table."""

    def __init__(self, spec: TableSpec, shape: WorkloadShape, rows: int, sql: TrinoSql = TRINO_SQL) -> None:
        self.spec = spec
        self.shape = shape
        self.rows = rows
        self.sql = sql
        names = [c.name for c in spec.columns]
        # Columns named after a shorter varchar column (origin -> origincityname) describe the same entity.
        roots = [c.name for c in spec.columns if c.type.startswith("varchar") and len(c.name) >= 3]
        self.family = {n: next((r for r in roots if n != r and n.startswith(r)), None) for n in names}
        dates = [c for c in spec.columns if c.type == "date" or c.type.startswith("timestamp")]
        self.date_column = dates[0] if len(dates) == 1 else None
        self.columns = names
        self.not_null = {c.name for c in spec.columns if c.not_null}

    def _u(self, column: str, part: str = "") -> str:
        return self.sql.uniform(_salt(self.spec.name, column, part))

    def _cast(self, value_sql: str, sql_type: str) -> str:
        return f"CAST({value_sql} AS {self.sql.cast_type(sql_type)})"

    def _entity_index(self, column: str) -> tuple[str, bool]:
        """SQL for the value index of ``column``'s entity, and whether the entity is free text."""
        root = self.family.get(column) or column
        size = category_count(root, self.shape.facts, self.rows)
        salt = _salt(self.spec.name, root, "entity")
        if is_free_text(root, self.shape.facts):
            return f"CAST(floor(({self.sql.uniform(salt)}) * {size}) AS bigint)", True
        return zipf_index(salt, size, self.sql), False

    def _date_value(self, column: Column) -> str:
        offset = f"CAST(floor(({self._u(column.name)}) * {self.shape.days}) AS bigint)"
        day = self.sql.plus_days(offset, self.shape.first_day.isoformat())
        if column.type == "date":
            return day
        seconds = f"CAST(floor(({self._u(column.name, 's')}) * 86400) AS bigint)"
        return self._cast(self.sql.plus_seconds(seconds, day), column.type)

    def expression(self, column: Column) -> str:
        name, sql_type = column.name, column.type
        ref = (self.spec.name, name)
        if ref in self.shape.primary_keys:
            return self._cast("i", sql_type)
        domain = self.shape.domains.domain_of(ref)
        if domain is not None:
            if ref in self.shape.unique_keys:
                return self._cast("i", sql_type)
            size = self.shape.domain_sizes[domain]
            return self._cast(f"1 + {skewed_index(_salt(self.spec.name, name), size, self.sql)}", sql_type)
        if name == "id":
            return self._cast("i", sql_type)
        if sql_type == "boolean":
            return f"({self._u(name)}) < 0.05"
        if sql_type == "date" or sql_type.startswith("timestamp"):
            return self._maybe_null(name, self._date_value(column))
        part = DATE_PARTS.get(name)
        if part and self.date_column is not None and sql_type in ("integer", "bigint", "smallint"):
            return self._cast(self.sql.date_part(part, self._date_value(self.date_column)), sql_type)
        if sql_type.startswith(("varchar", "char")):
            return self._string(name, sql_type)
        if self.family.get(name):
            index, _ = self._entity_index(name)
            return self._cast(index, sql_type)
        return self._maybe_null(name, self._number(name, sql_type))

    def _string(self, name: str, sql_type: str) -> str:
        root = self.family.get(name) or name
        index, free_text = self._entity_index(name)
        categories = filter_strings(root, self.shape.facts)
        generated = f"'{name}_' || CAST({index} AS varchar)"
        if categories and not self.family.get(name):
            pool = ", ".join(_sql_string(c) for c in categories)
            generated = f"coalesce({self.sql.element(pool, f'CAST({index} + 1 AS integer)')}, {generated})"
        generated = self._cast(generated, sql_type) if sql_type.startswith("char") else generated
        # Free text (names, comments) is sometimes missing; categories and filtered values never are.
        return self._maybe_null(name, generated) if free_text else generated

    def _number(self, name: str, sql_type: str) -> str:
        facts = self.shape.facts
        equal = facts.equal_numbers.get(name, set())
        if equal and max(equal) <= 10 and all(float(v).is_integer() for v in equal):
            # Small codes (flags, groups): every code the queries test for, and 0.
            top = int(max(equal))
            return self._cast(skewed_index(_salt(self.spec.name, name), top + 1, self.sql), sql_type)
        low, high = _number_range(name, facts)
        value = f"{low} + ({self._u(name)}) * {high - low}"
        match = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", sql_type)
        if match:
            precision, scale = int(match.group(1)), int(match.group(2))
            limit = 10 ** (precision - scale) - 1
            value = f"least({value}, {limit})"
            return self._cast(self.sql.rounded(value, scale), sql_type)
        if sql_type in ("double", "real"):
            return self._cast(self.sql.rounded(value, 2), sql_type)
        if sql_type in ("tinyint", "smallint"):
            value = f"least({value}, {127 if sql_type == 'tinyint' else 32767})"
        return self._cast(f"floor({value})", sql_type)

    def _maybe_null(self, name: str, value: str) -> str:
        if name in self.not_null:
            return value
        return self.sql.when(f"({self._u(name, 'null')}) < {NULL_FRACTION}", "NULL", value)

    def insert_sql(self) -> str:
        columns = ", ".join(f'"{c.name}"' for c in self.spec.columns)
        values = ",\n  ".join(f'{self.expression(c)} AS "{c.name}"' for c in self.spec.columns)
        return f"INSERT INTO {self.spec.name} ({columns})\nSELECT\n  {values}\n{self.sql.from_rows(self.rows)}"


def row_numbers(rows: int) -> str:
    """Trino SQL for rows ``i`` = 1..rows."""
    return TRINO_SQL.row_numbers(rows)
