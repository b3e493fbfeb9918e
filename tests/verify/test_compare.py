"""Result comparison: multisets, ORDER BY keys, ties under LIMIT, float tolerance only for floats."""

from __future__ import annotations

from decimal import Decimal

from jobs.verify.compare import ResultSet, compare_results
from jobs.verify.query_shape import query_shape


def _rs(rows: list[tuple[object, ...]], types: list[str] | None = None) -> ResultSet:
    return ResultSet(["a", "b"], [list(r) for r in rows], types)


def test_unordered_results_compare_as_multisets_with_duplicates() -> None:
    shape = query_shape("SELECT a, b FROM t")
    assert compare_results(_rs([(1, "x"), (2, "y"), (1, "x")]), _rs([(2, "y"), (1, "x"), (1, "x")]), shape)[0]
    equal, detail = compare_results(_rs([(1, "x"), (1, "x")]), _rs([(1, "x"), (2, "y")]), shape)
    assert not equal and "rows differ" in detail


def test_floats_get_a_tolerance_but_decimals_do_not() -> None:
    shape = query_shape("SELECT a, avg(b) FROM t GROUP BY a")
    floats = ["integer", "double"]
    assert compare_results(_rs([(1, 0.1 + 0.2)], floats), _rs([(1, 0.3)], floats), shape)[0]
    decimals = ["integer", "decimal(10,2)"]
    assert compare_results(_rs([(1, "1.10")], decimals), _rs([(1, "1.1")], decimals), shape)[0]
    assert not compare_results(_rs([(1, "1.10")], decimals), _rs([(1, "1.11")], decimals), shape)[0]
    assert not compare_results(_rs([(1, Decimal("0.3"))]), _rs([(1, Decimal("0.30000001"))]), shape)[0]


def test_order_by_keys_must_match_row_by_row() -> None:
    shape = query_shape("SELECT a, b FROM t ORDER BY a")
    assert compare_results(_rs([(1, "x"), (1, "y"), (2, "z")]), _rs([(1, "y"), (1, "x"), (2, "z")]), shape)[0]
    equal, detail = compare_results(_rs([(1, "x"), (2, "z")]), _rs([(2, "z"), (1, "x")]), shape)
    assert not equal and "ORDER BY keys differ at row 0" in detail


def test_ties_at_the_limit_boundary_may_differ_but_nothing_else() -> None:
    shape = query_shape("SELECT a, b FROM t ORDER BY a DESC LIMIT 3")
    before = _rs([(9, "top"), (5, "p"), (5, "q")])
    assert compare_results(before, _rs([(9, "top"), (5, "q"), (5, "r")]), shape)[0]
    equal, _ = compare_results(before, _rs([(9, "other"), (5, "p"), (5, "q")]), shape)
    assert not equal


def test_limit_without_order_compares_counts_only() -> None:
    shape = query_shape("SELECT a, b FROM t LIMIT 2")
    assert compare_results(_rs([(1, "x"), (2, "y")]), _rs([(3, "z"), (4, "w")]), shape)[0]
    assert not compare_results(_rs([(1, "x"), (2, "y")]), _rs([(3, "z")]), shape)[0]


def test_column_count_and_nulls_matter() -> None:
    shape = query_shape("SELECT a, b FROM t")
    assert not compare_results(_rs([(1, None)]), _rs([(1, 0)]), shape)[0]
    assert not compare_results(_rs([(1, None)]), ResultSet(["a"], [[1]]), shape)[0]
