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


class TaskReport(BaseModel):
    """What a task learned beside the plan: warnings, per-query notes, the rules' rationale."""

    warnings: list[str] = Field(default_factory=list)
    #: queryid -> why it was passed through (unparsable, unknown table, ...).
    query_notes: dict[str, str] = Field(default_factory=dict)
    #: One line per recommendation the engine applied, with its expected effect.
    recommendations: list[str] = Field(default_factory=list)
    #: Markdown explanation of the plan (the LLM's, when one is configured).
    explanation: str | None = None
    #: Present when an LLM endpoint is configured.
    llm: LlmSummary | None = None
    #: Measured on the task's ``verify_url``, when it gave one.
    verification: VerificationReport | None = None
    #: Statements to run after each load of the new schema's copies, in dependency order
    #: (``REFRESH MATERIALIZED VIEW`` per view; a snapshot table's DELETE and INSERT).
    refresh: list[str] = Field(default_factory=list)
