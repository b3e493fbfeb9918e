"""Strawberry types of the public GraphQL API (``schema.graphql`` is generated from these)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gql_app.recommendation_types import Recommendation
from jobs.contract import result as jobs_result
from jobs.contract.result import PlanResult, TaskReport
from jobs.contract.verification import VerificationReport
from jobs.tasks.stages import describe_stages
from jobs.tasks.store import TaskRecord


@strawberry.enum(description="RUNNING from acceptance until the plan is ready (DONE) or the task failed (FAILED).")
class TaskStatus(enum.Enum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@strawberry.type(description="One SQL statement of the plan.")
class Statement:
    statement: str


@strawberry.type(description="An input query rewritten to read the new schema.")
class RewrittenQuery:
    queryid: str
    query: str


@strawberry.type(description="The plan: run ddl, then migrations, in order; then the rewritten queries.")
class Plan:
    ddl: list[Statement]
    migrations: list[Statement]
    queries: list[RewrittenQuery]

    @classmethod
    def from_result(cls, result: PlanResult) -> Plan:
        return cls(
            ddl=[Statement(statement=s.statement) for s in result.ddl],
            migrations=[Statement(statement=s.statement) for s in result.migrations],
            queries=[RewrittenQuery(queryid=q.queryid, query=q.query) for q in result.queries],
        )


@strawberry.type(description="Why a query kept its requalified original form.")
class QueryNote:
    queryid: str
    note: str


@strawberry.type(description="An LLM proposal that was not placed in the plan.")
class LlmProposal:
    queryid: str
    sql: str
    note: str = strawberry.field(description="Why it was rejected, or the LLM's rationale for a suggestion.")


@strawberry.type(description="What the LLM stage did.")
class LlmSummary:
    calls: int
    prompt_tokens: int
    completion_tokens: int
    accepted: list[str] = strawberry.field(description="queryids whose rewrite passed the gate.")
    rejected: list[LlmProposal]
    suggestions: list[LlmProposal] = strawberry.field(
        description="Passed the static checks but unverified: never placed in the plan."
    )

    @classmethod
    def from_summary(cls, summary: jobs_result.LlmSummary) -> LlmSummary:
        def proposals(items: list[jobs_result.LlmProposal]) -> list[LlmProposal]:
            return [LlmProposal(queryid=p.queryid, sql=p.sql, note=p.note) for p in items]

        return cls(
            calls=summary.calls,
            prompt_tokens=summary.prompt_tokens,
            completion_tokens=summary.completion_tokens,
            accepted=summary.accepted,
            rejected=proposals(summary.rejected),
            suggestions=proposals(summary.suggestions),
        )


@strawberry.type(description="One query as measured on the verification database.")
class QueryVerification:
    queryid: str
    equal: bool = strawberry.field(description="Same rows as the original (a mismatch is reverted to the baseline).")
    before_seconds: float | None
    after_seconds: float | None
    speedup: float | None
    detail: str
    equal_stale: bool | None = strawberry.field(
        description="Same rows as the baseline form while the views were stale (freshness phase)."
    )
    equal_fresh: bool | None = strawberry.field(description="Same rows as the baseline form after the refresh.")


@strawberry.type(description="The plan run and measured on the task's verifyUrl.")
class Verification:
    url: str = strawberry.field(description="Password redacted.")
    x: float | None = strawberry.field(description="Frequency-weighted mean speedup (the contract's x).")
    y: float | None = strawberry.field(description="Bytes before over bytes after (the contract's y).")
    z: float | None = strawberry.field(description="x^(2/3) * y.")
    source_bytes: float
    new_bytes: float
    mismatches: list[str]
    errors: list[str]
    queries: list[QueryVerification]

    @classmethod
    def from_report(cls, report: VerificationReport) -> Verification:
        return cls(
            url=report.url,
            x=report.x,
            y=report.y,
            z=report.z,
            source_bytes=float(report.source_bytes),
            new_bytes=float(report.new_bytes),
            mismatches=report.mismatches,
            errors=report.errors,
            queries=[
                QueryVerification(
                    queryid=q.queryid,
                    equal=q.equal,
                    before_seconds=q.before_seconds,
                    after_seconds=q.after_seconds,
                    speedup=q.speedup,
                    detail=q.detail,
                    equal_stale=q.equal_stale,
                    equal_fresh=q.equal_fresh,
                )
                for q in report.queries
            ],
        )


@strawberry.type(description="What the task learned beside the plan.")
class Report:
    warnings: list[str]
    recommendations: list[str]
    recommendation_details: list[Recommendation] = strawberry.field(
        description="The recommendations as typed cards, in the same order as recommendations."
    )
    query_notes: list[QueryNote]
    markdown: str | None = strawberry.field(
        description="The deterministic Markdown report (no LLM text in it); null for tasks planned before it existed."
    )
    explanation: str | None = strawberry.field(
        description="The LLM's own Markdown explanation of the plan, when an LLM is configured (unchecked)."
    )
    llm: LlmSummary | None = strawberry.field(description="Present when an LLM endpoint is configured.")
    verification: Verification | None = strawberry.field(description="Present when the task gave a verifyUrl.")
    refresh: list[str] = strawberry.field(
        description="Statements to run after each load of the new schema's tables, in order (view refreshes)."
    )

    @classmethod
    def from_report(cls, report: TaskReport) -> Report:
        return cls(
            warnings=report.warnings,
            recommendations=report.recommendations,
            recommendation_details=[Recommendation.from_model(r) for r in report.recommendation_details],
            markdown=report.markdown,
            query_notes=[QueryNote(queryid=k, note=v) for k, v in report.query_notes.items()],
            explanation=report.explanation,
            llm=LlmSummary.from_summary(report.llm) if report.llm else None,
            verification=Verification.from_report(report.verification) if report.verification else None,
            refresh=report.refresh,
        )


@strawberry.type(description="An optimization task.")
class Task:
    id: uuid.UUID
    status: TaskStatus
    stage: str = strawberry.field(description=describe_stages())
    progress: float = strawberry.field(description="0..1")
    message: str
    error: str | None
    url: str | None = strawberry.field(description="The JDBC URL, password redacted.")
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    attempts: int
    _result_json: strawberry.Private[str | None]
    _report_json: strawberry.Private[str | None]
    _profile_json: strawberry.Private[str | None]

    @strawberry.field(description="The plan; null until the task is DONE.")
    def result(self) -> Plan | None:
        if self._result_json is None:
            return None
        return Plan.from_result(PlanResult.model_validate_json(self._result_json))

    @strawberry.field(description="Warnings, recommendations and notes; null until the task finished.")
    def report(self) -> Report | None:
        if self._report_json is None:
            return None
        return Report.from_report(TaskReport.model_validate_json(self._report_json))

    @strawberry.field(description="Statistics read from the live database (DatabaseProfile as JSON), if any.")
    def profile(self) -> JSON | None:
        if self._profile_json is None:
            return None
        value: Any = json.loads(self._profile_json)
        return value  # type: ignore[no-any-return]

    @classmethod
    def from_record(cls, record: TaskRecord) -> Task:
        return cls(
            id=record.id,
            status=TaskStatus(record.status.value),
            stage=record.stage,
            progress=record.progress,
            message=record.message,
            error=record.error,
            url=record.url_redacted,
            created_at=record.created_at,
            updated_at=record.updated_at,
            finished_at=record.finished_at,
            attempts=record.attempts,
            _result_json=record.result_json,
            _report_json=record.report_json,
            _profile_json=record.profile_json,
        )


@strawberry.type(description="A progress event of a task, as the worker published it.")
class TaskEvent:
    task_id: uuid.UUID
    seq: int = strawberry.field(description="Increases with every change of the task.")
    status: TaskStatus
    stage: str
    progress: float
    message: str
    error: str | None
    published_at: float | None = strawberry.field(
        description="Unix time the worker published this event; null for the state read from the store."
    )

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> TaskEvent:
        return cls(
            task_id=uuid.UUID(event["task_id"]),
            seq=int(event["seq"]),
            status=TaskStatus(event["status"]),
            stage=str(event["stage"]),
            progress=float(event["progress"]),
            message=str(event["message"]),
            error=event.get("error"),
            published_at=event.get("published_at"),
        )


@strawberry.type(description="One invalid input field.")
class FieldError:
    field: str = strawberry.field(
        description="Path of the field, e.g. queries[2].runquantity; empty for the whole input."
    )
    message: str


@strawberry.type(description="The input was refused; nothing was stored.")
class InputError:
    message: str
    fields: list[FieldError]


@strawberry.type(description="The service could not queue the task right now; retry later.")
class ServiceUnavailable:
    message: str


@strawberry.type(description="No task has this id.")
class TaskNotFound:
    id: uuid.UUID
    message: str


SubmitTaskResult = Annotated[Task | InputError | ServiceUnavailable, strawberry.union("SubmitTaskResult")]
TaskResult = Annotated[Task | TaskNotFound, strawberry.union("TaskResult")]
TaskStatusResult = Annotated[TaskEvent | TaskNotFound, strawberry.union("TaskStatusResult")]


@strawberry.input(description="One DDL statement (one table).")
class DdlStatementInput:
    statement: str


@strawberry.input(description="A workload query with its run statistics.")
class QueryInput:
    queryid: str
    query: str
    runquantity: int = strawberry.field(description="How many times it runs.")
    executiontime: float | None = strawberry.field(default=None, description="Seconds per run.")


@strawberry.input(description="What POST /new takes: the JDBC URL, the DDL and the queries.")
class TaskInput:
    url: str | None = None
    verify_url: str | None = strawberry.field(
        default=None, description="A writable Trino with the same source tables: the plan is run and measured there."
    )
    ddl: list[DdlStatementInput]
    queries: list[QueryInput]
    max_staleness: str | None = strawberry.field(
        default=None,
        description="How stale a materialized view may be when read, e.g. 15m, 1h (default: never); its GRACE PERIOD.",
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "verify_url": self.verify_url,
            "max_staleness": self.max_staleness,
            "ddl": [{"statement": d.statement} for d in self.ddl],
            "queries": [
                {"queryid": q.queryid, "query": q.query, "runquantity": q.runquantity, "executiontime": q.executiontime}
                for q in self.queries
            ],
        }
