"""GraphQL types of a recommendation card (see :class:`jobs.contract.result.Recommendation`)."""

from __future__ import annotations

import strawberry

from jobs.contract import result as jobs_result


@strawberry.type(description="A recommendation's expected effect, from the workload's weights and the profile.")
class Estimate:
    rows: float | None = strawberry.field(description="Rows of the source tables it reads today (profile).")
    bytes: float | None = strawberry.field(description="Stored bytes of those source tables (profile).")
    rows_after: float | None = strawberry.field(
        description="Rows the served queries read after it, when known (a new table's estimated groups)."
    )
    weight_share: float = strawberry.field(
        description="Share of the workload's weight (runquantity x executiontime) it serves, 0..1."
    )


@strawberry.type(description="One change the engine made: rule, tables, the queries it serves, why, its effect.")
class Recommendation:
    rule: str = strawberry.field(description="The rule that made it, e.g. sort_order, pre_aggregation.")
    tables: list[str] = strawberry.field(description="The new tables it creates or changes.")
    queries: list[str] = strawberry.field(description="The queryids it serves.")
    rationale: str
    estimate: Estimate
    summary: str = strawberry.field(description="The one-line prose, as in Report.recommendations.")

    @classmethod
    def from_model(cls, card: jobs_result.Recommendation) -> Recommendation:
        e = card.estimate
        return cls(
            rule=card.rule,
            tables=card.tables,
            queries=card.queries,
            rationale=card.rationale,
            estimate=Estimate(rows=e.rows, bytes=e.bytes, rows_after=e.rows_after, weight_share=e.weight_share),
            summary=card.summary,
        )
