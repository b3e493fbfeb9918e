"""The verdict on one query: ``equal``, ``mismatch``, ``nondeterministic original`` or ``original fails``.

A rewrite is only a ``mismatch`` when it differs from the original by more than the original differs
from itself. Two signs that the original may return other rows: its tree (``approx_percentile``,
``max_by`` over ties, LIMIT without a total order: :func:`jobs.verify.query_shape.query_shape`), and,
independent of any function list, its baseline form (the requalified original over the plan's 1:1
copies) returning other rows than the original does on the source. The rewrite is then held to what
that difference allows: floats within the tolerance the baseline form needed, else equal row counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.contract.verification import QueryStatus
from jobs.verify.compare import ResultSet, compare_results
from jobs.verify.query_shape import QueryShape, query_shape

#: Relative float tolerances tried, tightest first, once the strict comparison failed.
TOLERANCES = (1e-6, 1e-4, 1e-2)


@dataclass(frozen=True)
class Verdict:
    status: QueryStatus
    detail: str

    @property
    def stands_in(self) -> bool:
        """The rewrite may replace the original (the verify stage keeps it)."""
        return self.status in ("equal", "nondeterministic original")


def _tolerance_needed(a: ResultSet, b: ResultSet, shape: QueryShape, limit: float) -> float | None:
    """The tightest of :data:`TOLERANCES` (up to ``limit``) under which ``a`` and ``b`` compare equal."""
    for tolerance in TOLERANCES:
        if tolerance <= limit and compare_results(a, b, shape, rel_tolerance=tolerance)[0]:
            return tolerance
    return None


def _same_counts(before: ResultSet, after: ResultSet, baseline: ResultSet | None) -> bool:
    counts = {len(before.rows)} | ({len(baseline.rows)} if baseline is not None else set())
    return len(before.columns) == len(after.columns) and len(after.rows) in counts


def classify(sql: str, before: ResultSet, after: ResultSet, baseline: ResultSet | None = None) -> Verdict:
    """The verdict on ``after`` (the rewrite's rows) against ``before`` (the original's on the source).

    ``baseline`` is the baseline form's rows on the copy, when the caller ran it (only needed, and only
    worth its run, once the strict comparison failed: see :func:`needs_baseline`).
    """
    shape = query_shape(sql)
    equal, detail = compare_results(before, after, shape)
    if equal:
        return Verdict("equal", detail)
    reasons: list[str] = []
    #: How far the rewrite may drift: a float tolerance, or ``inf`` (row counts only).
    allowance = 0.0
    if shape.nondeterministic:
        reasons.append(shape.nondeterministic)
        allowance = float("inf")
    if baseline is not None:
        own_equal, own_detail = compare_results(before, baseline, shape)
        if not own_equal:
            reasons.append(f"its baseline form on the 1:1 copy returns other rows ({own_detail})")
            needed = _tolerance_needed(before, baseline, shape, TOLERANCES[-1])
            allowance = max(allowance, needed if needed is not None else float("inf"))
            if compare_results(baseline, after, shape)[0]:
                return Verdict("nondeterministic original", f"{'; '.join(reasons)}; the rewrite returns its rows")
    if not reasons:
        return Verdict("mismatch", detail)
    why = "; ".join(reasons)
    tolerance = _tolerance_needed(before, after, shape, allowance)
    if tolerance is not None:
        return Verdict("nondeterministic original", f"{why}; equal within a relative {tolerance:g}")
    if allowance == float("inf") and _same_counts(before, after, baseline):
        return Verdict("nondeterministic original", f"{why}; row counts compared (strict: {detail})")
    return Verdict("mismatch", f"{detail} (more than the original's own difference: {why})")


def needs_baseline(sql: str, before: ResultSet, after: ResultSet) -> bool:
    """Whether the baseline form's rows could change the verdict (strict comparison failed)."""
    return classify(sql, before, after).status == "mismatch"


def failed_verdict(error_before: str | None, error_after: str | None) -> Verdict:
    """The verdict when a side has no rows: an original that fails is passed through, never a mismatch."""
    if error_before is not None:
        after = "fails too" if error_after is not None else "runs"
        return Verdict("original fails", f"the original query fails ({error_before[:300]}); the rewrite {after}")
    return Verdict("mismatch", f"the rewritten query failed: {error_after}")
