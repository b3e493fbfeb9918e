"""``llm_assist`` end to end against a scripted OpenAI-protocol server over real HTTP.

Only the ``heavy`` query is a candidate in most tests (``light`` is marked improved by the
rules), so the script is: one rewrite answer, then the explanation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import pytest

from jobs.contract.profile import ColumnProfile, DatabaseProfile, QueryExplain, TableProfile
from jobs.contract.result import PlanResult, TaskReport
from jobs.contract.workload import Workload
from jobs.llm.client import LlmLimits
from jobs.llm.equivalence import EquivalenceChecker, ThreadedChecker
from jobs.llm.outcome import LlmOutcome
from jobs.llm.stage import llm_assist
from tests.llm.conftest import HEAVY, LIGHT, llm_settings
from tests.llm.openai_stub import Reply, ScriptedOpenAI, proposal, scripted_openai
from tests.llm.sqlite_checker import SqliteEquivalenceChecker

FAST = LlmLimits(call_timeout=5.0, max_retries=2, backoff_seconds=0.05, backoff_max=0.2)
EQUIVALENT = "SELECT customer, sum(amount) AS total FROM c.s_opt.orders WHERE 'paid' = status GROUP BY 1"
EXPLANATION = Reply(content="## Plan\nTables are copied to `c.s_opt`.")


async def assist(
    server: ScriptedOpenAI,
    workload: Workload,
    plan: PlanResult,
    checker: EquivalenceChecker | None,
    **options: Any,
) -> LlmOutcome:
    options.setdefault("improved_queryids", {"light"})
    options.setdefault("limits", FAST)
    return await llm_assist(
        workload,
        plan,
        TaskReport(recommendations=["copy every table as Parquet"]),
        None,
        llm_settings(server.url, options.pop("api_key", "sk-test-key")),
        checker=checker,
        budget_seconds=options.pop("budget_seconds", 30.0),
        **options,
    )


def heavy_sql(outcome: LlmOutcome) -> str:
    return next(q.query for q in outcome.result.queries if q.queryid == "heavy")


async def test_equivalent_rewrite_is_accepted(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    before = plan.model_copy(deep=True)
    with scripted_openai([proposal(EQUIVALENT, "positional group by"), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker)
    assert [a.queryid for a in outcome.accepted] == ["heavy"]
    assert outcome.accepted[0].rationale == "positional group by"
    assert heavy_sql(outcome) == EQUIVALENT
    assert outcome.rejected == [] and outcome.suggestions == []
    assert outcome.explanation == EXPLANATION.content
    # The checker compared the original workload query with the proposal.
    assert checker.calls == [(HEAVY, EQUIVALENT)]
    # The input plan is untouched; the outcome holds a copy.
    assert plan == before
    assert outcome.usage.model_dump() == {"prompt_tokens": 200, "completion_tokens": 40, "calls": 2}
    assert len(server.requests) == 2
    for request in server.requests:
        assert request["model"] == "lakeopt-test-model"
        assert request["temperature"] == 0
    rewrite_request = server.requests[0]
    assert rewrite_request["response_format"]["type"] == "json_schema"
    prompt = rewrite_request["messages"][1]["content"]
    assert "CREATE TABLE c.s_opt.orders" in prompt and HEAVY in prompt
    assert server.headers[0]["authorization"] == "Bearer sk-test-key"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            proposal("SELECT customer, sum(amount) AS total FROM c.s_opt.orders WHERE status <> 'paid' GROUP BY 1"),
            "different rows",
        ),
        (proposal("SELEC customer FRM c.s_opt.orders"), "does not parse as Trino SQL"),
        (proposal("SELECT customer, sum(amount) AS total FROM orders GROUP BY 1"), "is not fully qualified"),
        (proposal("SELECT customer, sum(amount) AS total FROM c.s.orders GROUP BY 1"), "not a table of the new schema"),
        (proposal("SELECT customer, sum(price) AS total FROM c.s_opt.orders GROUP BY 1"), "unknown column"),
        (proposal("DELETE FROM c.s_opt.orders"), "not a read-only query"),
        (Reply(content="You could add an index on status."), "malformed answer"),
        (Reply(content='{"sql": "SELECT customer FROM c.s_opt.orders", "rationale": '), "malformed answer"),
    ],
    ids=[
        "non-equivalent",
        "invalid-sql",
        "unqualified",
        "outside-new-schema",
        "unknown-column",
        "dml",
        "prose",
        "cut-json",
    ],
)
async def test_bad_proposals_are_rejected_with_the_reason(
    answer: Reply, reason: str, workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    with scripted_openai([answer, EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker)
    assert outcome.accepted == []
    assert [r.queryid for r in outcome.rejected] == ["heavy"]
    assert reason in outcome.rejected[0].reason
    assert outcome.result == plan
    assert outcome.explanation == EXPLANATION.content
    # Only the equivalence check runs queries, and only after the static checks passed.
    assert len(checker.calls) == (1 if reason == "different rows" else 0)


async def test_without_a_checker_proposals_are_only_suggestions(workload: Workload, plan: PlanResult) -> None:
    bad = proposal("SELECT customer FROM c.s.orders")
    with scripted_openai([proposal(EQUIVALENT, "r"), bad, EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, None, improved_queryids=set())
    assert outcome.result == plan
    assert outcome.accepted == []
    assert [(s.queryid, s.sql) for s in outcome.suggestions] == [("heavy", EQUIVALENT)]
    assert [r.queryid for r in outcome.rejected] == ["light"]
    assert any("suggestions only" in w for w in outcome.warnings)


async def test_queries_are_sent_heaviest_first_with_progress(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    light_rewrite = "SELECT o.o_id, cu.region FROM c.s_opt.customers cu JOIN c.s_opt.orders o ON cu.name = o.customer"
    events: list[tuple[str, float]] = []

    def on_progress(fraction: float, message: str) -> None:
        events.append((message, fraction))

    with scripted_openai([proposal(EQUIVALENT), proposal(light_rewrite), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker, improved_queryids=(), on_progress=on_progress)
    asked = [r["messages"][1]["content"].split("\n")[0] for r in server.rewrite_requests()]
    assert [line.split()[2] for line in asked] == ["heavy", "light"]
    assert {a.queryid for a in outcome.accepted} == {"heavy", "light"}
    assert checker.calls[1] == (LIGHT, light_rewrite)
    messages = [m for m, _ in events]
    assert messages[:3] == ["llm: 0/2 queries", "llm: 1/2 queries", "llm: 2/2 queries"]
    assert messages[-1].startswith("llm: done, 2 accepted, 0 rejected")
    fractions = [f for _, f in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


async def test_async_progress_hook_that_fails_does_not_stop_the_stage(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(fraction: float, message: str) -> None:
        raise RuntimeError("subscriber gone")

    with scripted_openai([proposal(EQUIVALENT), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker, on_progress=broken)
    assert [a.queryid for a in outcome.accepted] == ["heavy"]
    assert "progress callback failed" in caplog.text


async def test_rate_limit_is_retried_then_accepted(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    with scripted_openai([Reply(status=429, content="slow down"), proposal(EQUIVALENT), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker)
    assert len(server.rewrite_requests()) == 2
    assert [a.queryid for a in outcome.accepted] == ["heavy"]
    assert outcome.usage.calls == 3
    assert outcome.warnings == []


async def test_persistent_500s_leave_the_plan_unchanged(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    with scripted_openai([], default=Reply(status=500, content="boom")) as server:
        outcome = await assist(server, workload, plan, checker, improved_queryids=())
    assert outcome.result == plan
    assert outcome.accepted == [] and outcome.explanation is None
    # Two queries x (1 try + 2 retries), then the endpoint is given up on: no explanation request.
    assert len(server.requests) == 6
    assert any("LLM endpoint unavailable (HTTP 500" in w for w in outcome.warnings)
    assert any("no plan explanation" in w for w in outcome.warnings)


async def test_slow_server_times_out_without_failing(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    limits = LlmLimits(call_timeout=0.3, max_retries=0, backoff_seconds=0.05)
    started = time.monotonic()
    with scripted_openai([], default=Reply(delay=20.0, content="{}")) as server:
        outcome = await assist(server, workload, plan, checker, improved_queryids=(), limits=limits)
    # Two cut requests, not one 20 s wait (the margin is for a loaded CI machine).
    assert time.monotonic() - started < 8.0
    assert outcome.result == plan
    assert len(server.requests) == 2
    assert any("request timed out" in w for w in outcome.warnings)


async def test_budget_stops_the_stage_between_queries(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    # The first answer takes 0.6 s of a 4 s budget (0.8 s kept for the explanation); the next answers
    # would take 20 s: the requests are cut when the budget runs out.
    limits = LlmLimits(call_timeout=10.0, max_retries=2, backoff_seconds=0.05)
    script = [Reply(delay=0.6, content=proposal(EQUIVALENT).content)]
    started = time.monotonic()
    with scripted_openai(script, default=Reply(delay=20.0, content="late")) as server:
        outcome = await assist(server, workload, plan, checker, improved_queryids=(), limits=limits, budget_seconds=4.0)
    assert time.monotonic() - started < 8.0
    assert len(server.requests) == 3
    assert [a.queryid for a in outcome.accepted] == ["heavy"]
    assert any("budget used up after 1 of 2 queries" in w for w in outcome.warnings)
    assert any("no plan explanation" in w for w in outcome.warnings)


async def test_zero_budget_sends_nothing(workload: Workload, plan: PlanResult) -> None:
    with scripted_openai([proposal(EQUIVALENT)]) as server:
        outcome = await assist(server, workload, plan, None, budget_seconds=0.0)
    assert server.requests == []
    assert outcome.result == plan
    assert any("budget used up after 0 of 1 queries" in w for w in outcome.warnings)


async def test_server_without_structured_output_falls_back_to_json_mode(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    fenced = Reply(content=f'Here it is:\n```json\n{{"sql": "{EQUIVALENT}", "rationale": "r"}}\n```')
    with scripted_openai([fenced, EXPLANATION], refused_formats=frozenset({"json_schema"})) as server:
        outcome = await assist(server, workload, plan, checker)
    assert [r.get("response_format", {}).get("type") for r in server.rewrite_requests()] == [
        "json_schema",
        "json_object",
    ]
    assert [a.queryid for a in outcome.accepted] == ["heavy"]


async def test_unreachable_endpoint_is_a_warning(workload: Workload, plan: PlanResult) -> None:
    with scripted_openai([]) as server:
        url = server.url
    # The server is closed now: connections are refused.
    dead = ScriptedOpenAI(script=[], url=url)
    outcome = await assist(dead, workload, plan, None, improved_queryids=())
    assert outcome.result == plan
    assert any(
        w.startswith("LLM endpoint unavailable (OpenAIConnectionError: Connection error") for w in outcome.warnings
    )


async def test_garbage_http_body_is_a_warning(workload: Workload, plan: PlanResult) -> None:
    with scripted_openai([], default=Reply(raw_body="<html>proxy error</html>")) as server:
        outcome = await assist(server, workload, plan, None)
    assert outcome.result == plan
    assert outcome.accepted == [] and outcome.explanation is None
    assert any("LLM gave no answer for query heavy" in w for w in outcome.warnings)


async def test_api_key_never_appears_in_warnings_or_logs(
    workload: Workload, plan: PlanResult, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-live-VERY-SECRET-4242"
    caplog.set_level(logging.DEBUG)
    echo = Reply(status=401, content=f"invalid api key {secret}")
    with scripted_openai([], default=echo) as server:
        outcome = await assist(server, workload, plan, None, api_key=secret, improved_queryids=())
    assert server.headers[0]["authorization"] == f"Bearer {secret}"
    assert outcome.result == plan
    text = outcome.model_dump_json() + caplog.text
    assert "HTTP 401" in text
    assert secret not in text


async def test_unchanged_answer_is_neither_accepted_nor_rejected(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    current = heavy_sql(LlmOutcome(result=plan))
    with scripted_openai([proposal("  " + current.lower() + " ;"), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker)
    assert outcome.accepted == [] and outcome.rejected == [] and checker.calls == []
    assert outcome.result == plan


async def test_checker_failure_rejects_the_proposal(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    checker.close()  # the verification database is gone
    with scripted_openai([proposal(EQUIVALENT), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, checker)
    assert outcome.result == plan
    assert [r.reason.split(":")[0] for r in outcome.rejected] == ["verification failed"]
    assert "closed database" in outcome.rejected[0].reason


async def test_only_the_heaviest_queries_are_sent(workload: Workload, plan: PlanResult) -> None:
    limits = LlmLimits(call_timeout=5.0, max_queries=1)
    with scripted_openai([proposal(EQUIVALENT), EXPLANATION]) as server:
        outcome = await assist(server, workload, plan, None, improved_queryids=(), limits=limits)
    assert len(server.rewrite_requests()) == 1
    assert "Query id: heavy" in server.rewrite_requests()[0]["messages"][1]["content"]
    assert "LLM asked about the 1 heaviest of 2 unimproved queries" in outcome.warnings


async def test_profile_statistics_and_explain_are_in_the_prompt(workload: Workload, plan: PlanResult) -> None:
    profile = DatabaseProfile(
        engine="trino",
        tables={
            "c.s.orders": TableProfile(
                name="c.s.orders", row_count=1e6, columns={"status": ColumnProfile(name="status", distinct_values=4)}
            ),
            "c.s.customers": TableProfile(name="c.s.customers", row_count=10.0),
        },
        explains={"heavy": QueryExplain(queryid="heavy", plan='{"id": "ScanFilterProject"}')},
    )
    with scripted_openai([proposal(EQUIVALENT), EXPLANATION]) as server:
        await llm_assist(
            workload,
            plan,
            TaskReport(),
            profile,
            llm_settings(server.url),
            checker=None,
            budget_seconds=30.0,
            improved_queryids={"light"},
        )
    prompt = server.rewrite_requests()[0]["messages"][1]["content"]
    assert "source c.s.orders: rows=1000000.0; status(ndv=4)" in prompt
    assert "c.s.customers" not in prompt  # the heavy query does not read it: no statistics, no DDL
    assert "CREATE TABLE c.s_opt.customers" not in prompt
    assert "Other tables of the new schema (columns):\n- c.s_opt.customers(name, region)" in prompt
    assert "ScanFilterProject" in prompt


async def test_disabled_llm_sends_nothing(workload: Workload, plan: PlanResult) -> None:
    settings = replace(llm_settings("http://127.0.0.1:9/v1"), llm_model=None)
    outcome = await llm_assist(workload, plan, TaskReport(), None, settings, checker=None, budget_seconds=30.0)
    assert outcome.result == plan
    assert outcome.usage.calls == 0
    assert outcome.warnings == ["LLM assist skipped: LLM_BASE_URL and LLM_MODEL are not both set"]


async def test_blocking_checker_runs_through_the_threaded_adapter(
    workload: Workload, plan: PlanResult, checker: SqliteEquivalenceChecker
) -> None:
    wrong = "SELECT customer, sum(amount) AS total FROM c.s_opt.orders GROUP BY 1"
    with scripted_openai([proposal(wrong), EXPLANATION, proposal(EQUIVALENT), EXPLANATION]) as server:
        outcome = await assist(
            server, workload, plan, ThreadedChecker(checker.compare), improved_queryids={"light"}, limits=FAST
        )
        # The same query again, now answered correctly.
        again = await assist(server, workload, plan, ThreadedChecker(checker.compare), improved_queryids={"light"})
    assert "different rows" in outcome.rejected[0].reason
    assert [a.queryid for a in again.accepted] == ["heavy"]
