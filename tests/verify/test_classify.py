"""The four verdicts on hand-made results: only a rewrite that drifts further than the original does is a mismatch."""

from __future__ import annotations

from decimal import Decimal

from jobs.verify.classify import classify, failed_verdict
from jobs.verify.compare import ResultSet

GROUPED = "SELECT k, sum(v) AS s FROM t GROUP BY k"


def rows(*values: tuple[object, ...], types: list[str] | None = None) -> ResultSet:
    return ResultSet(["k", "s"], [list(v) for v in values], types)


def test_equal_rows_are_equal_and_other_rows_of_a_deterministic_query_a_mismatch() -> None:
    assert classify(GROUPED, rows(("a", 1), ("b", 2)), rows(("b", 2), ("a", 1))).status == "equal"
    verdict = classify(GROUPED, rows(("a", 1), ("b", 2)), rows(("a", 1), ("b", 3)))
    assert verdict.status == "mismatch" and "rows differ" in verdict.detail


def test_approx_percentile_may_drift_in_the_last_digits_but_not_lose_groups() -> None:
    sql = "SELECT k, approx_percentile(v, 0.95) AS p FROM t GROUP BY k"
    before = rows(("a", 10.0000001), ("b", 20.0), types=["varchar", "double"])
    drifted = rows(("a", 10.0000002), ("b", 20.0), types=["varchar", "double"])
    verdict = classify(sql, before, drifted)
    assert verdict.status == "nondeterministic original", verdict
    assert "approx_percentile() is approximate" in verdict.detail and "within a relative 1e-06" in verdict.detail
    assert classify(sql, before, rows(("a", 10.0), types=["varchar", "double"])).status == "mismatch"


def test_max_by_over_ties_may_pick_another_body() -> None:
    sql = "SELECT k, max_by(body, length(body)) AS b FROM t GROUP BY k"
    verdict = classify(sql, rows(("a", "xyz"), ("b", "q")), rows(("a", "abc"), ("b", "q")))
    assert verdict.status == "nondeterministic original" and "max_by() may pick any" in verdict.detail
    assert "row counts compared" in verdict.detail


def test_the_baseline_form_says_how_far_a_query_without_telltale_functions_may_drift() -> None:
    # A double sum over another file order: the tree says nothing, the copy shows a 1e-5 drift.
    typed = ["varchar", "double"]
    before = rows(("a", 1.0000012345), ("b", 2.0), types=typed)
    baseline = rows(("a", 1.0000112345), ("b", 2.0), types=typed)
    within = rows(("a", 0.9999912345), ("b", 2.0), types=typed)
    beyond = rows(("a", 1.1), ("b", 2.0), types=typed)
    assert classify(GROUPED, before, within).status == "mismatch"  # no baseline run: strict
    verdict = classify(GROUPED, before, within, baseline)
    assert verdict.status == "nondeterministic original" and "baseline form" in verdict.detail
    assert classify(GROUPED, before, baseline, baseline).detail.endswith("the rewrite returns its rows")
    assert classify(GROUPED, before, beyond, baseline).status == "mismatch"
    # A copy that reproduces the original exactly leaves the rewrite no room at all.
    assert classify(GROUPED, before, within, before).status == "mismatch"


def test_decimals_are_never_given_a_tolerance() -> None:
    sql = "SELECT k, approx_distinct(v) AS s FROM t GROUP BY k"
    verdict = classify(sql, rows(("a", Decimal("1.00"))), rows(("a", Decimal("1.01"))))
    # Row counts only (the original is approximate), never a float tolerance on a decimal.
    assert verdict.status == "nondeterministic original" and "row counts" in verdict.detail


def test_a_failing_original_is_passed_through_and_a_failing_rewrite_is_a_mismatch() -> None:
    both = failed_verdict("line 1:8: mismatched input", "line 1:8: mismatched input")
    assert both.status == "original fails" and both.detail.endswith("the rewrite fails too")
    assert failed_verdict(None, "TABLE_NOT_FOUND").status == "mismatch"
