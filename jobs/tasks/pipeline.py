"""The optimization pipeline one task runs, stage by stage, reporting progress.

Used by the arq worker and in-process by ``lakeopt optimize``. Stages, in order:
``parse`` -> ``profile`` (live database, optional) -> ``optimize`` (rule engine) -> ``llm``
(optional) -> ``validate``. A database or LLM problem becomes a warning; only input the
engine cannot plan at all (an unparsable DDL statement) fails the task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass

from jobs.contract.profile import DatabaseProfile
from jobs.contract.result import LlmProposal, LlmSummary, PlanResult, TaskReport
from jobs.contract.workload import Workload
from jobs.settings import Settings
from jobs.tasks.stages import Stage, StageProgress


class PlanInvalid(RuntimeError):
    """The plan failed the contract checks; the task fails rather than return it."""


@dataclass
class PipelineOutcome:
    result: PlanResult
    report: TaskReport
    profile: DatabaseProfile | None


async def _collect_profile(
    url: str, workload: Workload, settings: Settings, progress: StageProgress
) -> DatabaseProfile:
    from jobs.db.profiler import collect_profile_async

    loop = asyncio.get_running_loop()
    pending: set[asyncio.Future[None]] = set()

    def on_progress(fraction: float, message: str) -> None:
        # Called from the JDBC thread: hop back onto the loop to publish.
        future: concurrent.futures.Future[None] = asyncio.run_coroutine_threadsafe(
            progress(Stage.PROFILE, 0.05 + 0.4 * fraction, message), loop
        )
        pending.add(asyncio.wrap_future(future, loop=loop))

    profile = await collect_profile_async(url, workload, settings, on_progress=on_progress)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return profile


async def run_pipeline(
    workload: Workload,
    *,
    url: str | None,
    settings: Settings,
    progress: StageProgress,
    deadline: float | None = None,
    verify_url: str | None = None,
) -> PipelineOutcome:
    """Plan ``workload``; ``url`` and ``verify_url`` are unredacted JDBC URLs, ``deadline`` a
    ``time.monotonic()``."""
    from jobs.engine import check_ddl, optimize
    from jobs.engine.report_markdown import render_markdown
    from jobs.engine.validate import validate_result

    await progress(Stage.PARSE, 0.02, f"{len(workload.ddl)} DDL statements, {len(workload.queries)} queries")
    check_ddl(workload)

    profile: DatabaseProfile | None = None
    warnings: list[str] = []
    if url:
        await progress(Stage.PROFILE, 0.05, "reading statistics from the database")
        profile = await _collect_profile(url, workload, settings, progress)
        warnings.extend(profile.warnings)
        await progress(Stage.PROFILE, 0.45, f"profiled {len(profile.tables)} tables")
    else:
        warnings.append("no JDBC URL given: planned from the DDL and the workload alone")

    await progress(Stage.OPTIMIZE, 0.5, "applying the rules")
    plan = await asyncio.to_thread(optimize, workload, profile)
    result, report = plan.result, plan.report
    report.warnings[:0] = warnings
    await progress(Stage.OPTIMIZE, 0.7, f"{len(report.recommendations)} recommendations")

    def seconds_left(reserve: float) -> float:
        return 300.0 if deadline is None else max(0.0, deadline - time.monotonic() - reserve)

    applied = None
    if verify_url:
        from jobs.tasks.verification_stage import apply_for_checks

        await progress(Stage.APPLY, 0.72, "running the plan's DDL and migrations on the verification database")
        applied = await apply_for_checks(workload, result, verify_url)
        report.warnings.extend(applied.warnings)

    if settings.llm_enabled:
        from jobs.llm.stage import llm_assist

        # The LLM gets half of what is left; verification and validation need the rest.
        budget = seconds_left(30.0) / (2 if applied else 1)

        async def llm_progress(fraction: float, message: str) -> None:
            await progress(Stage.LLM, 0.75 + 0.15 * fraction, message)

        await progress(Stage.LLM, 0.75, "asking the LLM for rewrites")
        improved = {q.queryid for q in plan.plan.queries if q.rule} if plan.plan is not None else set()
        outcome = await llm_assist(
            workload,
            result,
            report,
            profile,
            settings,
            checker=applied.checker() if applied else None,
            budget_seconds=budget,
            on_progress=llm_progress,
            improved_queryids=improved,
        )
        result = outcome.result
        report.warnings.extend(outcome.warnings)
        report.explanation = outcome.explanation
        report.llm = LlmSummary(
            calls=outcome.usage.calls,
            prompt_tokens=outcome.usage.prompt_tokens,
            completion_tokens=outcome.usage.completion_tokens,
            accepted=[a.queryid for a in outcome.accepted],
            rejected=[LlmProposal(queryid=r.queryid, sql=r.sql, note=r.reason) for r in outcome.rejected],
            suggestions=[LlmProposal(queryid=s.queryid, sql=s.sql, note=s.rationale) for s in outcome.suggestions],
        )

    if verify_url and applied is not None:
        from jobs.tasks.verification_stage import verify_and_revert

        async def verify_progress(fraction: float, message: str) -> None:
            await progress(Stage.VERIFY, 0.9 + 0.07 * fraction, message)

        await progress(Stage.VERIFY, 0.9, "timing and comparing every query on the verification database")
        result, report.verification, verify_warnings = await verify_and_revert(
            workload, result, verify_url, applied, budget_seconds=seconds_left(20.0), on_progress=verify_progress
        )
        report.warnings.extend(verify_warnings)

    await progress(Stage.VALIDATE, 0.97, "checking the plan against the contract")
    problems = validate_result(workload, result)
    if problems:
        raise PlanInvalid("the plan failed validation: " + "; ".join(problems[:5]))
    report.markdown = render_markdown(report, result)
    return PipelineOutcome(result=result, report=report, profile=profile)
