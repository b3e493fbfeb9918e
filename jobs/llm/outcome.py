"""What the LLM stage returns: the (possibly) improved plan and an account of every proposal."""

from __future__ import annotations

from pydantic import BaseModel, Field

from jobs.contract.result import PlanResult


class LlmUsage(BaseModel):
    """Tokens spent, summed over every call that got a response."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: Requests sent, retries included.
    calls: int = 0


class AcceptedRewrite(BaseModel):
    queryid: str
    sql: str
    rationale: str
    #: What the equivalence checker reported.
    evidence: str = ""


class RejectedProposal(BaseModel):
    queryid: str
    sql: str
    reason: str


class Suggestion(BaseModel):
    """A proposal that passed the static checks but was never verified (no checker configured)."""

    queryid: str
    sql: str
    rationale: str


class LlmOutcome(BaseModel):
    #: A copy of the input plan with the accepted rewrites in ``queries``.
    result: PlanResult
    accepted: list[AcceptedRewrite] = Field(default_factory=list)
    rejected: list[RejectedProposal] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)
    #: Markdown for the people who will apply the plan; ``None`` when the LLM gave none.
    explanation: str | None = None
    warnings: list[str] = Field(default_factory=list)
    usage: LlmUsage = Field(default_factory=LlmUsage)
