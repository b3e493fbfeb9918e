"""The plan report as Markdown a DBA reads: deterministic, from the report and the plan alone (no LLM).

:func:`render_markdown` is what ``TaskReport.markdown`` holds, ``GET /report`` returns and
``lakeopt optimize --report`` / ``lakeopt report`` write. The LLM's own explanation, when there is
one, stays in ``TaskReport.explanation`` and appears here only under its own heading, marked as
the LLM's and unchecked.

>>> from jobs.contract.result import PlanResult, Recommendation, Estimate, Statement, TaskReport
>>> card = Recommendation(rule="sort_order", tables=["c.s_opt.t"], queries=["q1"], rationale="filters on d",
...                       estimate=Estimate(rows=2e6, bytes=3e8, weight_share=0.4), summary="sort order: ...")
>>> plan = PlanResult(ddl=[Statement(statement="CREATE SCHEMA c.s_opt")])
>>> text = render_markdown(TaskReport(recommendation_details=[card]), plan)
>>> print(text[text.index("### 1"):text.index("**Why")].strip())
### 1. Sort order: `c.s_opt.t`
<BLANKLINE>
| | |
|---|---|
| Serves | 1 query, 40% of the workload time: `q1` |
| Reads today | 2.0M rows, 300 MB |
"""

from __future__ import annotations

from jobs.contract.result import PlanResult, Recommendation, TaskReport
from jobs.contract.verification import VerificationReport
from jobs.engine.readable import count, share, short_id, size

#: Card titles by rule; a rule not listed is titled by its name.
RULE_TITLES = {
    "narrow_types": "Narrower column types",
    "partitioning": "Partitioning",
    "sort_order": "Sort order",
    "pre_aggregation": "Pre-aggregated table",
    "materialized_blocks": "Materialized aggregate",
}
#: Queries named in a card before the rest are counted.
LISTED_QUERIES = 8


def _code(items: list[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def _served(card: Recommendation) -> str:
    ids = [short_id(q) for q in card.queries[:LISTED_QUERIES]]
    more = f" and {len(card.queries) - LISTED_QUERIES} more" if len(card.queries) > LISTED_QUERIES else ""
    noun = "query" if len(card.queries) == 1 else "queries"
    return f"{len(card.queries)} {noun}, {share(card.estimate.weight_share)} of the workload time: {_code(ids)}{more}"


def _cell(text: str) -> str:
    """Text safe inside a table cell (a ``|`` would end it)."""
    return text.replace("|", "\\|").replace("\n", " ")


def _card(index: int, card: Recommendation) -> list[str]:
    title = RULE_TITLES.get(card.rule, card.rule or "Recommendation")
    lines = [f"### {index}. {title}: {_code(card.tables)}" if card.tables else f"### {index}. {title}", ""]
    rows = []
    if card.queries:
        rows.append(("Serves", _served(card)))
    estimate = card.estimate
    today = [f"{count(estimate.rows)} rows" if estimate.rows is not None else ""]
    today.append(size(estimate.bytes) if estimate.bytes is not None else "")
    if any(today):
        rows.append(("Reads today", ", ".join(t for t in today if t)))
    if estimate.rows_after is not None:
        rows.append(("Reads after", f"~{count(estimate.rows_after)} rows"))
    if rows:
        lines.extend(["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows), ""])
    if card.rationale:
        lines.extend([f"**Why:** {card.rationale}.", ""])
    if card.summary:
        lines.extend([f"> {card.summary}", ""])
    return lines


def _glance(report: TaskReport, plan: PlanResult) -> list[str]:
    schemas = [s.statement.split(None, 2)[2] for s in plan.ddl if s.statement.upper().startswith("CREATE SCHEMA ")]
    tables = len(plan.ddl) - len(schemas)
    served = {q for card in report.recommendation_details for q in card.queries}
    lines = ["## At a glance", ""]
    if schemas:
        lines.append(f"- New schema: {_code(schemas)} (the source schema is never modified)")
    lines.append(f"- {tables} new tables filled by {len(plan.migrations)} migrations")
    lines.append(f"- {len(plan.queries)} queries, {len(served)} of them served by a recommendation below")
    lines.append(f"- {len(report.recommendation_details or report.recommendations)} recommendations")
    if report.warnings:
        lines.append(f"- {len(report.warnings)} warning{'s' if len(report.warnings) > 1 else ''} (at the end)")
    lines.append("")
    lines.append("Run the DDL, then the migrations, in order; then the rewritten queries read the new schema.")
    return [*lines, ""]


def _number(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def _verification(report: VerificationReport) -> list[str]:
    lines = ["## Verification", "", f"Measured on `{report.url}` ({report.repetitions} timed runs per query).", ""]
    lines.extend(
        ["| x (speedup) | y (storage) | z | bytes before | bytes after | mismatches |", "|---|---|---|---|---|---|"]
    )
    lines.append(
        f"| {_number(report.x)} | {_number(report.y)} | {_number(report.z)} | {size(report.source_bytes)} "
        f"| {size(report.new_bytes)} | {len(report.mismatches)} |"
    )
    lines.extend(["", "| query | before s | after s | speedup | result |", "|---|---|---|---|---|"])
    for q in report.queries:
        verdict = "equal" if q.equal else _cell(f"different: {q.detail}")
        lines.append(
            f"| `{short_id(q.queryid)}` | {_number(q.before_seconds)} | {_number(q.after_seconds)} "
            f"| {_number(q.speedup)} | {verdict} |"
        )
    lines.extend(f"- error: {e}" for e in report.errors)
    return [*lines, ""]


def _llm(report: TaskReport) -> list[str]:
    lines: list[str] = []
    if report.llm is not None:
        llm = report.llm
        lines.extend(["## LLM rewrites", ""])
        lines.append(
            f"{llm.calls} calls; {len(llm.accepted)} rewrites accepted (verified), {len(llm.rejected)} rejected, "
            f"{len(llm.suggestions)} unverified suggestions (not in the plan)."
        )
        lines.extend(f"- accepted: `{short_id(q)}`" for q in llm.accepted)
        lines.extend(f"- rejected `{short_id(p.queryid)}`: {p.note}" for p in llm.rejected)
        lines.append("")
    if report.explanation:
        lines.extend(["## The LLM's explanation (its own words, not checked by lakeopt)", "", report.explanation, ""])
    return lines


def render_markdown(report: TaskReport, plan: PlanResult) -> str:
    """The whole report; the same inputs always give the same text."""
    lines = ["# lakeopt plan report", "", *_glance(report, plan), "## Recommendations", ""]
    if report.recommendation_details:
        for index, card in enumerate(report.recommendation_details, start=1):
            lines.extend(_card(index, card))
    elif report.recommendations:
        lines.extend([*(f"- {line}" for line in report.recommendations), ""])
    else:
        lines.extend(["None: every table is copied as it is and every query only requalified.", ""])
    if report.verification is not None:
        lines.extend(_verification(report.verification))
    lines.extend(_llm(report))
    if report.query_notes:
        lines.extend(["## Queries passed through unchanged", "", "| query | why |", "|---|---|"])
        lines.extend(f"| `{q}` | {_cell(note)} |" for q, note in report.query_notes.items())
        lines.append("")
    if report.warnings:
        lines.extend(["## Warnings", "", *(f"- {w}" for w in report.warnings), ""])
    return "\n".join(lines).rstrip() + "\n"
