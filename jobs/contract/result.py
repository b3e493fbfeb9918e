"""The output of a task in the contract's shape: ``{ddl, migrations, queries}``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from jobs.contract.verification import VerificationReport


class Statement(BaseModel):
    statement: str


class RewrittenQuery(BaseModel):
    queryid: str
    query: str


class PlanResult(BaseModel):
    """Exactly what ``GET /getresult`` returns."""

    ddl: list[Statement] = Field(default_factory=list)
    migrations: list[Statement] = Field(default_factory=list)
    queries: list[RewrittenQuery] = Field(default_factory=list)


class LlmProposal(BaseModel):
    queryid: str
    sql: str
    #: Why it was rejected, or the LLM's rationale for a suggestion.
    note: str


class LlmSummary(BaseModel):
    """What the LLM stage did: tokens spent and the fate of every proposal."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: queryids whose LLM rewrite passed the gate and was placed in ``queries``.
    accepted: list[str] = Field(default_factory=list)
    rejected: list[LlmProposal] = Field(default_factory=list)
    #: Passed the static checks but unverified (no verification URL): never placed in ``queries``.
    suggestions: list[LlmProposal] = Field(default_factory=list)


class Estimate(BaseModel):
    """A recommendation's expected effect, in the workload's and the profile's numbers."""

    rows: float | None = Field(
        default=None, description="Rows of the source tables it reads today, from the profile (null without one)."
    )
    bytes: float | None = Field(
        default=None, description="Stored bytes of those source tables, from the profile (null without one)."
    )
    rows_after: float | None = Field(
        default=None, description="Rows the served queries read after it, when known (a new table's estimated groups)."
    )
    weight_share: float = Field(
        default=0.0, description="Share of the workload's weight (runquantity x executiontime) it serves, 0..1."
    )


class Recommendation(BaseModel):
    """One change the engine made, as a card: what, where, for which queries, why, and its effect."""

    #: The rule that made it: ``narrow_types``, ``partitioning``, ``sort_order``, ``pre_aggregation``...
    rule: str
    #: The new tables it creates or changes, ``catalog.schema.table``.
    tables: list[str] = Field(default_factory=list)
    #: The queryids it serves (reads of a changed table, or rewritten to read a new one).
    queries: list[str] = Field(default_factory=list)
    #: Why the engine made it, in a sentence.
    rationale: str = ""
    estimate: Estimate = Field(default_factory=Estimate)
    #: The one-line prose of :attr:`TaskReport.recommendations`.
    summary: str = ""


class TaskReport(BaseModel):
    """What a task learned beside the plan: warnings, per-query notes, the rules' rationale."""

    warnings: list[str] = Field(default_factory=list)
    #: queryid -> why it was passed through (unparsable, unknown table, ...).
    query_notes: dict[str, str] = Field(default_factory=dict)
    #: One line per recommendation the engine applied, with its expected effect.
    recommendations: list[str] = Field(default_factory=list)
    #: The same recommendations as typed cards, in the same order (``summary`` is the line above).
    recommendation_details: list[Recommendation] = Field(default_factory=list)
    #: The deterministic Markdown report (no LLM text in it), rendered from this report and the plan.
    markdown: str | None = None
    #: The LLM's own Markdown explanation of the plan, only when an LLM is configured (never checked).
    explanation: str | None = None
    #: Present when an LLM endpoint is configured.
    llm: LlmSummary | None = None
    #: Measured on the task's ``verify_url``, when it gave one.
    verification: VerificationReport | None = None
    #: Statements to run after each load of the new schema's copies, in dependency order
    #: (``REFRESH MATERIALIZED VIEW`` per view; a snapshot table's DELETE and INSERT).
    refresh: list[str] = Field(default_factory=list)
