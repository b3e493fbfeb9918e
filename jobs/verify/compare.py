"""Comparing two query results: as multisets, in ORDER BY order where it matters, floats with tolerance.

Only floating-point values (``double``/``real`` columns, or Python floats when the column types are
unknown) are compared with a tolerance; decimals, integers, strings and dates must be identical.
With ``ORDER BY ... LIMIT``, rows tied on the last key may legitimately differ: the ORDER BY keys
must match row by row, and the full rows must match except inside that last tie group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jobs.verify.query_shape import QueryShape

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-9
#: Floats with at most this many decimals are taken as rounded (``ROUND(x, 2)``).
ROUNDED_PLACES = 6


@dataclass(frozen=True)
class ResultSet:
    columns: list[str]
    rows: list[list[Any]] | list[tuple[Any, ...]]
    #: Trino type names per column when known (REST); ``None`` for JDBC results.
    types: list[str] | None = None


def _normalize(value: Any, sql_type: str | None) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if sql_type is not None:
        if sql_type.startswith("decimal"):
            try:
                return Decimal(str(value)).normalize()
            except InvalidOperation:
                return value
        if sql_type in ("double", "real") and isinstance(value, int | float):
            return float(value)
        return value
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _sort_key(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | Decimal):
        return (2, float(value), "")
    if isinstance(value, float):
        if math.isnan(value):
            return (2, math.inf, "nan")
        return (2, float(f"{value:.8e}"), "")
    if isinstance(value, str):
        return (3, value)
    return (4, repr(value))


def _decimals(value: float) -> int:
    text = repr(value)
    if "e" in text or "." not in text:
        return 0 if "e" not in text else 17
    return len(text.split(".")[1].rstrip("0"))


def floats_equal(a: float, b: float, rel_tolerance: float = REL_TOLERANCE) -> bool:
    """Floats within a relative 1e-9, or one unit apart in the last place of a rounded value.

    ``ROUND(AVG(x), 2)`` over the same doubles summed in another order can land on either side of a
    rounding boundary (18.525 -> 18.52 or 18.53); that is floating-point noise, not a wrong rewrite.

    >>> floats_equal(0.1 + 0.2, 0.3), floats_equal(18.53, 18.52), floats_equal(18.53, 18.51)
    (True, True, False)
    """
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isclose(a, b, rel_tol=rel_tolerance, abs_tol=ABS_TOLERANCE):
        return True
    places = max(_decimals(a), _decimals(b))
    return places <= ROUNDED_PLACES and abs(a - b) <= 10.0**-places * (1 + 1e-6)


def values_equal(a: Any, b: Any, rel_tolerance: float = REL_TOLERANCE) -> bool:
    """Equal values; floats per :func:`floats_equal`, everything else exactly.

    >>> values_equal(0.1 + 0.2, 0.3), values_equal(Decimal("1.10"), Decimal("1.1")), values_equal("1", 1)
    (True, True, False)
    """
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, int | float | Decimal) and isinstance(b, int | float | Decimal) and not isinstance(a, bool):
            return floats_equal(float(a), float(b), rel_tolerance)
        return False
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    return type(a) is type(b) and bool(a == b)


def rows_equal(a: tuple[Any, ...], b: tuple[Any, ...], rel_tolerance: float = REL_TOLERANCE) -> bool:
    return len(a) == len(b) and all(values_equal(x, y, rel_tolerance) for x, y in zip(a, b, strict=True))


def _rows(result: ResultSet) -> list[tuple[Any, ...]]:
    types = result.types or [None] * len(result.columns)  # type: ignore[list-item]
    return [tuple(_normalize(v, t) for v, t in zip(row, types, strict=False)) for row in result.rows]


def _multiset_difference(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]], rel_tolerance: float) -> str | None:
    if len(a) != len(b):
        return f"{len(a)} rows before, {len(b)} after"
    for index, (x, y) in enumerate(zip(sorted(a, key=_row_key), sorted(b, key=_row_key), strict=True)):
        if not rows_equal(x, y, rel_tolerance):
            return f"rows differ (sorted row {index}): {_short(x)} vs {_short(y)}"
    return None


def _row_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # Exact values first: rows that differ only by float noise still line up after sorting.
    exact = tuple(_sort_key(v) for v in row if not isinstance(v, float))
    return exact, tuple(_sort_key(v) for v in row if isinstance(v, float))


def _short(row: tuple[Any, ...]) -> str:
    text = repr(row)
    return text if len(text) <= 200 else text[:197] + "..."


def compare_results(
    before: ResultSet, after: ResultSet, shape: QueryShape, *, rel_tolerance: float = REL_TOLERANCE
) -> tuple[bool, str]:
    """``(equal, detail)``: whether ``after`` may stand in for ``before`` for this query shape
    (floats within ``rel_tolerance``, relative)."""
    if len(before.columns) != len(after.columns):
        return False, f"{len(before.columns)} columns before, {len(after.columns)} after"
    a, b = _rows(before), _rows(after)
    if shape.limited and not (shape.ordered and shape.order_positions is not None):
        # LIMIT without a usable ORDER BY picks arbitrary rows: only the count is defined.
        if len(a) != len(b):
            return False, f"{len(a)} rows before, {len(b)} after (LIMIT without ORDER BY: count compared)"
        return True, "LIMIT without comparable ORDER BY: row counts compared"
    if not shape.ordered or shape.order_positions is None:
        difference = _multiset_difference(a, b, rel_tolerance)
        note = "multiset" if not shape.ordered else "multiset (ORDER BY key not in the output: order not checked)"
        return (False, difference) if difference else (True, note)
    positions = shape.order_positions
    keys_a = [tuple(row[p] for p in positions) for row in a]
    keys_b = [tuple(row[p] for p in positions) for row in b]
    if len(a) != len(b):
        return False, f"{len(a)} rows before, {len(b)} after"
    for index, (x, y) in enumerate(zip(keys_a, keys_b, strict=True)):
        if not rows_equal(x, y, rel_tolerance):
            return False, f"ORDER BY keys differ at row {index}: {_short(x)} vs {_short(y)}"
    if shape.limited and a:
        last = keys_a[-1]
        a = [row for row, k in zip(a, keys_a, strict=True) if not rows_equal(k, last, rel_tolerance)]
        b = [row for row, k in zip(b, keys_b, strict=True) if not rows_equal(k, last, rel_tolerance)]
    difference = _multiset_difference(a, b, rel_tolerance)
    if difference:
        return False, difference
    return True, "ordered keys and rows" + (" (last tie group of the LIMIT compared by keys)" if shape.limited else "")
