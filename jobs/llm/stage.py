"""The LLM stage of the pipeline: rewrites for the queries the rules left alone, then an explanation.

Queries are sent heaviest first (``WorkloadQuery.weight``) until the time budget runs out. Each
proposal goes through the gate: static checks (:mod:`jobs.llm.gate`), then the equivalence
checker, which runs the *original* workload query and the proposal and compares their rows.
Without a checker, proposals that pass the static checks become suggestions, never plan queries.
Nothing here raises: an unusable endpoint leaves the plan as it was, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection

import httpx

from jobs.contract.profile import DatabaseProfile
from jobs.contract.progress import Progress, notify
from jobs.contract.result import PlanResult, TaskReport
from jobs.contract.workload import Workload, WorkloadQuery
from jobs.llm.client import LlmBudgetExhausted, LlmClient, LlmLimits, LlmUnavailable, make_chat_model
from jobs.llm.equivalence import EquivalenceChecker
from jobs.llm.gate import NewSchema, clean_proposal, new_schema_from_ddl, static_rejection
from jobs.llm.outcome import AcceptedRewrite, LlmOutcome, RejectedProposal, Suggestion
from jobs.llm.prompts import explanation_messages, rewrite_messages
from jobs.llm.proposal import parse_proposal
from jobs.settings import Settings
from jobs.sql.dialect import dialect_of_url

logger = logging.getLogger(__name__)

#: ``(message, fraction 0..1)``; may be a plain function or a coroutine function.

#: Longest proposal text kept in a rejection record.
_MAX_RECORDED_SQL = 4_000


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).lower() == " ".join(b.split()).lower()


def candidate_queries(
    workload: Workload, plan_result: PlanResult, improved_queryids: Collection[str]
) -> list[WorkloadQuery]:
    """Queries of the plan the rules did not improve, heaviest first (ties keep input order)."""
    planned = {q.queryid for q in plan_result.queries}
    chosen = [q for q in workload.queries if q.queryid in planned and q.queryid not in improved_queryids]
    return sorted(chosen, key=lambda q: -q.weight)


class _Stage:
    def __init__(
        self,
        workload: Workload,
        outcome: LlmOutcome,
        report: TaskReport,
        profile: DatabaseProfile | None,
        client: LlmClient,
        checker: EquivalenceChecker | None,
        on_progress: Progress | None,
    ) -> None:
        self.workload = workload
        self.outcome = outcome
        self.report = report
        self.profile = profile
        self.client = client
        self.checker = checker
        self.on_progress = on_progress
        self.schema: NewSchema = new_schema_from_ddl(outcome.result.ddl, dialect_of_url(workload.url))
        self.endpoint_down = False

    def reject(self, queryid: str, sql: str, reason: str) -> None:
        self.outcome.rejected.append(RejectedProposal(queryid=queryid, sql=sql[:_MAX_RECORDED_SQL], reason=reason))

    def current_sql(self, queryid: str) -> str:
        return next(q.query for q in self.outcome.result.queries if q.queryid == queryid)

    def replace(self, queryid: str, sql: str) -> None:
        for query in self.outcome.result.queries:
            if query.queryid == queryid:
                query.query = sql

    async def rewrites(self, queries: list[WorkloadQuery], limits: LlmLimits) -> None:
        failures = 0
        for index, query in enumerate(queries):
            await notify(self.on_progress, 0.9 * index / len(queries), f"llm: {index}/{len(queries)} queries")
            try:
                text = await self.client.ask_json(
                    rewrite_messages(
                        query,
                        self.current_sql(query.queryid),
                        self.outcome.result,
                        self.report,
                        self.schema,
                        self.profile,
                    )
                )
            except LlmBudgetExhausted as exc:
                self.outcome.warnings.append(
                    f"LLM time budget used up after {index} of {len(queries)} queries ({exc}); "
                    "the remaining queries keep their engine form"
                )
                return
            except LlmUnavailable as exc:
                failures += 1
                self.outcome.warnings.append(f"LLM gave no answer for query {query.queryid}: {exc}")
                if failures >= limits.failures_before_giving_up:
                    self.endpoint_down = True
                    self.outcome.warnings.append(
                        f"LLM endpoint unavailable ({exc}): the plan is returned without LLM rewrites"
                    )
                    return
                continue
            failures = 0
            await self.judge(query, text)
        await notify(self.on_progress, 0.9, f"llm: {len(queries)}/{len(queries)} queries")

    async def judge(self, query: WorkloadQuery, answer: str) -> None:
        queryid = query.queryid
        try:
            proposal = parse_proposal(answer)
        except ValueError as exc:
            self.reject(queryid, answer, f"malformed answer: {exc}")
            return
        sql = clean_proposal(proposal.sql)
        if _same_text(sql, self.current_sql(queryid)):
            return  # the LLM kept the query as it is: nothing to judge
        reason = static_rejection(sql, self.schema)
        if reason is not None:
            self.reject(queryid, sql, reason)
            return
        if self.checker is None:
            self.outcome.suggestions.append(Suggestion(queryid=queryid, sql=sql, rationale=proposal.rationale))
            return
        try:
            async with asyncio.timeout(max(self.client.remaining(), 0.0)):
                same, detail = await self.checker.check(query.query, sql)
        except TimeoutError:
            self.reject(queryid, sql, "verification did not finish within the LLM time budget")
            return
        except Exception as exc:
            self.reject(queryid, sql, f"verification failed: {type(exc).__name__}: {str(exc)[:200]}")
            return
        if not same:
            self.reject(queryid, sql, f"different rows: {detail}")
            return
        self.replace(queryid, sql)
        self.outcome.accepted.append(
            AcceptedRewrite(queryid=queryid, sql=sql, rationale=proposal.rationale, evidence=detail)
        )

    async def explanation(self) -> None:
        messages = explanation_messages(self.outcome.result, self.report, [a.queryid for a in self.outcome.accepted])
        try:
            text = (await self.client.ask_text(messages)).strip()
        except (LlmUnavailable, LlmBudgetExhausted) as exc:
            self.outcome.warnings.append(f"no plan explanation from the LLM: {exc}")
            return
        if not text:
            self.outcome.warnings.append("no plan explanation from the LLM: the answer was empty")
            return
        self.outcome.explanation = text


async def llm_assist(
    workload: Workload,
    plan_result: PlanResult,
    report: TaskReport,
    profile: DatabaseProfile | None,
    settings: Settings,
    *,
    checker: EquivalenceChecker | None,
    budget_seconds: float,
    on_progress: Progress | None = None,
    improved_queryids: Collection[str] = frozenset(),
    limits: LlmLimits | None = None,
) -> LlmOutcome:
    """Ask the LLM for rewrites of the unimproved queries and an explanation; never raises.

    ``improved_queryids`` are the queries the rules already rewrote (they are not sent).
    ``plan_result`` and ``report`` are not modified: the outcome holds a copy with the accepted rewrites.
    """
    limits = limits or LlmLimits()
    outcome = LlmOutcome(result=plan_result.model_copy(deep=True))
    if not settings.llm_enabled:
        outcome.warnings.append("LLM assist skipped: LLM_BASE_URL and LLM_MODEL are not both set")
        return outcome
    started = time.monotonic()
    deadline = started + max(budget_seconds, 0.0)
    # Keep part of the budget for the explanation, so a long workload still gets one.
    explanation_reserve = min(limits.call_timeout, 0.2 * max(budget_seconds, 0.0))
    queries = candidate_queries(workload, plan_result, improved_queryids)
    if len(queries) > limits.max_queries:
        outcome.warnings.append(
            f"LLM asked about the {limits.max_queries} heaviest of {len(queries)} unimproved queries"
        )
        queries = queries[: limits.max_queries]
    try:
        async with httpx.AsyncClient(timeout=limits.call_timeout) as http:
            model = make_chat_model(settings, timeout=limits.call_timeout, http_client=http)
            client = LlmClient(
                model, limits, deadline=deadline - explanation_reserve, usage=outcome.usage, secret=settings.llm_api_key
            )
            stage = _Stage(workload, outcome, report, profile, client, checker, on_progress)
            if queries:
                await stage.rewrites(queries, limits)
            if stage.endpoint_down:
                outcome.warnings.append("no plan explanation: the LLM endpoint is unavailable")
            else:
                client.deadline = deadline
                await notify(on_progress, 0.92, "llm: explaining the plan")
                await stage.explanation()
    except Exception as exc:  # a bug or an unforeseen client error must not fail the task
        secret = settings.llm_api_key
        message = f"{type(exc).__name__}: {exc}"
        logger.warning("LLM stage failed: %s", message.replace(secret, "***") if secret else message)
        outcome.result = plan_result.model_copy(deep=True)
        outcome.accepted = []
        outcome.warnings.append("LLM assist failed unexpectedly; the plan is returned without LLM help")
    if outcome.suggestions:
        outcome.warnings.append(
            f"{len(outcome.suggestions)} LLM rewrite(s) are listed as suggestions only: no equivalence checker"
        )
    await notify(
        on_progress,
        1.0,
        f"llm: done, {len(outcome.accepted)} accepted, {len(outcome.rejected)} rejected "
        f"in {time.monotonic() - started:.1f}s",
    )
    return outcome
