"""The SQL words the data generator needs, in Trino's and in PostgreSQL's spelling.

:mod:`jobs.sandbox.data_generator` decides what each value is; these classes only spell it.
Both hash the row number and a salt to a uniform double, so each engine's data is deterministic
(the two engines' hashes differ, so their data is alike in shape, not equal row for row).
"""

from __future__ import annotations

import math

#: Trino's date functions as PostgreSQL ``extract`` fields (both count ISO weekdays, Monday = 1).
_EXTRACT_FIELDS = {"year": "year", "quarter": "quarter", "month": "month", "day": "day", "day_of_week": "isodow"}


class TrinoSql:
    """Trino: ``xxhash64``, ``date_add``, ``IF``, ``element_at``, ``sequence()`` row numbers."""

    #: Trino's ``sequence()`` makes at most 10,000 elements; larger row counts cross-join two.
    sequence_limit = 10_000

    def uniform(self, salt: int) -> str:
        """A deterministic uniform double in [0, 1) from row number ``i`` and ``salt``.

        >>> TrinoSql().uniform(7).split("xxhash64")[1]
        '(to_big_endian_64(i * 65536 + 7))), 9007199254740991) AS double) / 9007199254740992e0'
        """
        return (
            f"CAST(bitwise_and(from_big_endian_64(xxhash64(to_big_endian_64(i * 65536 + {salt}))), "
            "9007199254740991) AS double) / 9007199254740992e0"
        )

    def cast_type(self, type_name: str) -> str:
        return type_name

    def plus_days(self, days: str, iso_day: str) -> str:
        return f"date_add('day', {days}, DATE '{iso_day}')"

    def plus_seconds(self, seconds: str, day: str) -> str:
        return f"date_add('second', {seconds}, CAST({day} AS timestamp(6)))"

    def date_part(self, part: str, value: str) -> str:
        return f"{part}({value})"

    def when(self, condition: str, then: str, otherwise: str) -> str:
        return f"IF({condition}, {then}, {otherwise})"

    def element(self, pool: str, index: str) -> str:
        """``pool[index]`` (1-based), NULL past its end."""
        return f"element_at(ARRAY[{pool}], {index})"

    def rounded(self, value: str, scale: int) -> str:
        return f"round({value}, {scale})"

    def row_numbers(self, rows: int) -> str:
        """Rows ``i`` = 1..rows (sequence() is capped, so larger counts cross-join two).

        >>> TrinoSql().row_numbers(3)
        'SELECT a.x + 1 AS i FROM UNNEST(sequence(0, 2)) AS a(x)'
        """
        width = min(rows, self.sequence_limit)
        if rows <= self.sequence_limit:
            return f"SELECT a.x + 1 AS i FROM UNNEST(sequence(0, {width - 1})) AS a(x)"
        blocks = math.ceil(rows / width)
        return (
            f"SELECT b.y * {width} + a.x + 1 AS i FROM UNNEST(sequence(0, {width - 1})) AS a(x) "
            f"CROSS JOIN UNNEST(sequence(0, {blocks - 1})) AS b(y) WHERE b.y * {width} + a.x < {rows}"
        )

    def from_rows(self, rows: int) -> str:
        return f"FROM ({self.row_numbers(rows)})"


class PostgresSql(TrinoSql):
    """PostgreSQL: ``hashtextextended``, interval arithmetic, ``CASE``, array subscripts, ``generate_series``."""

    def uniform(self, salt: int) -> str:
        """
        >>> print(PostgresSql().uniform(7))
        CAST(hashtextextended(CAST(i AS text), 7) & 9007199254740991 AS double precision) / 9007199254740992e0
        """
        hashed = f"hashtextextended(CAST(i AS text), {salt}) & 9007199254740991"
        return f"CAST({hashed} AS double precision) / 9007199254740992e0"

    def cast_type(self, type_name: str) -> str:
        return {"double": "double precision", "tinyint": "smallint"}.get(type_name, type_name)

    def plus_days(self, days: str, iso_day: str) -> str:
        return f"(DATE '{iso_day}' + CAST({days} AS integer))"

    def plus_seconds(self, seconds: str, day: str) -> str:
        return f"(CAST({day} AS timestamp(6)) + {seconds} * interval '1 second')"

    def date_part(self, part: str, value: str) -> str:
        return f"CAST(extract({_EXTRACT_FIELDS[part]} FROM {value}) AS integer)"

    def when(self, condition: str, then: str, otherwise: str) -> str:
        return f"CASE WHEN {condition} THEN {then} ELSE {otherwise} END"

    def element(self, pool: str, index: str) -> str:
        return f"(ARRAY[{pool}])[{index}]"

    def rounded(self, value: str, scale: int) -> str:
        return f"round(CAST({value} AS numeric), {scale})"

    def row_numbers(self, rows: int) -> str:
        """
        >>> PostgresSql().row_numbers(3)
        'SELECT g AS i FROM generate_series(1, 3) AS g'
        """
        return f"SELECT g AS i FROM generate_series(1, {rows}) AS g"

    def from_rows(self, rows: int) -> str:
        return f"FROM ({self.row_numbers(rows)}) AS r"


TRINO_SQL = TrinoSql()
POSTGRES_SQL = PostgresSql()
