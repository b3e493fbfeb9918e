"""The optional verification stages of a task, when it names a writable Trino (``verify_url``).

``apply``: the plan's DDL and migrations run there, so single rewrites (the LLM's) can be
checked against their originals. ``verify``: every query runs before and after, results are
compared and timed; any rewrite returning different rows goes back to its baseline form, which
reads a 1:1 copy and so returns the original rows by construction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from jobs.contract.progress import Progress
from jobs.contract.result import PlanResult, RewrittenQuery
from jobs.contract.verification import VerificationReport
from jobs.contract.workload import Workload
from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from jobs.llm.equivalence import EquivalenceChecker, ThreadedChecker
from jobs.sql.dialect import POSTGRES, dialect_of_url
from jobs.sql.jdbc_url import redact_url
from jobs.verify.postgres import verify_postgres_plan
from jobs.verify.verifier import apply_plan, same_rows, verify_plan


@dataclass
class AppliedPlan:
    client: TrinoClient | None
    warnings: list[str] = field(default_factory=list)
    #: A PostgreSQL verification database: the verify stage runs the whole plan there itself.
    postgres_url: str | None = None

    def checker(self) -> EquivalenceChecker | None:
        client = self.client
        if client is None:
            return None
        return ThreadedChecker(lambda original, rewritten: same_rows(client, original, rewritten))


async def apply_for_checks(workload: Workload, result: PlanResult, verify_url: str) -> AppliedPlan:
    """Run the plan on ``verify_url``; a failure is a warning and leaves no checker."""
    if dialect_of_url(verify_url) == POSTGRES:
        # No single-rewrite checker on PostgreSQL yet: LLM rewrites stay suggestions there.
        return AppliedPlan(None, postgres_url=verify_url)
    try:
        client = client_from_jdbc_url(verify_url)
        errors = await apply_plan(workload, result, verify_url, client=client)
    except Exception as exc:
        return AppliedPlan(None, [f"verification skipped: {redact_url(str(exc))[:300]}"])
    if errors:
        return AppliedPlan(None, [f"verification skipped: {redact_url(e)[:300]}" for e in errors[:3]])
    return AppliedPlan(client)


async def verify_and_revert(
    workload: Workload,
    result: PlanResult,
    verify_url: str,
    applied: AppliedPlan,
    *,
    budget_seconds: float,
    repetitions: int = 1,
    on_progress: Progress | None = None,
) -> tuple[PlanResult, VerificationReport | None, list[str]]:
    """Measure the plan; revert mismatching rewrites to the baseline. Never raises for the database."""
    from jobs.engine.optimizer import baseline_result
    from jobs.engine.unread_tables import without_unread_tables

    if applied.client is None and applied.postgres_url is None:
        return result, None, []
    try:
        if applied.postgres_url is not None:
            running = verify_postgres_plan(workload, result, applied.postgres_url, repetitions=repetitions)
        else:
            running = verify_plan(
                workload,
                result,
                verify_url,
                repetitions=repetitions,
                client=applied.client,
                prepared=True,
                on_progress=on_progress,
                # The run stops itself (a partial report) a little before the hard timeout.
                budget_seconds=max(1.0, budget_seconds * 0.9),
            )
        report = await asyncio.wait_for(running, timeout=max(1.0, budget_seconds))
    except TimeoutError:
        return result, None, [f"verification did not finish within its {budget_seconds:.0f}s budget"]
    except Exception as exc:
        return result, None, [f"verification failed: {redact_url(str(exc))[:300]}"]
    warnings = [redact_url(e)[:300] for e in report.errors]
    # Only a real mismatch reverts: a nondeterministic original or one that fails is the query's own;
    # a rewrite that differs from its baseline form while its views are stale or after a refresh does too.
    mismatched = {
        q.queryid for q in report.queries if q.status == "mismatch" or False in (q.equal_stale, q.equal_fresh)
    }
    if not mismatched:
        return result, report, warnings
    baseline = baseline_result(workload)
    baseline_queries = {q.queryid: q.query for q in baseline.queries}
    queries = [
        RewrittenQuery(queryid=q.queryid, query=baseline_queries[q.queryid]) if q.queryid in mismatched else q
        for q in result.queries
    ]
    warnings.extend(
        f"query {queryid}: the rewrite returned different rows on the verification database (or after a load); "
        "reverted to the baseline form"
        for queryid in sorted(mismatched)
    )
    reverted, dropped = without_unread_tables(result.model_copy(update={"queries": queries}), baseline)
    warnings.extend(f"table {name}: no query reads it after the reverts; dropped from the plan" for name in dropped)
    return reverted, report, warnings
