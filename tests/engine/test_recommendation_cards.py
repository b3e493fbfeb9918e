"""Every recommendation comes as a typed card whose numbers are the workload's and the profile's,
and the Markdown report renders them deterministically, the LLM's text apart."""

from __future__ import annotations

from jobs.contract.profile import ColumnProfile, DatabaseProfile, TableProfile
from jobs.contract.workload import parse_workload
from jobs.engine import optimize
from jobs.engine.plan import OptimizedPlan
from jobs.engine.report_markdown import render_markdown

WORKLOAD = parse_workload(
    {
        "ddl": [{"statement": "CREATE TABLE c.s.f (origin varchar, delay double, cancelled boolean, d date)"}],
        "queries": [
            {
                "queryid": "0b0c3e1a-5b53-4411-b5e7-cb4f9f14f25b",
                "query": "SELECT origin, AVG(delay) AS d FROM c.s.f WHERE NOT cancelled GROUP BY origin",
                "runquantity": 10,
                "executiontime": 10,
            },
            {
                "queryid": "q1",
                "query": "SELECT count(*) FROM c.s.f WHERE d >= DATE '2020-06-01'",
                "runquantity": 30,
                "executiontime": 10,
            },
        ],
    }
)
PROFILE = DatabaseProfile(
    tables={
        "c.s.f": TableProfile(
            name="c.s.f",
            row_count=2_000_000,
            size_bytes=300_000_000,
            columns={
                "origin": ColumnProfile(name="origin", distinct_values=300),
                "d": ColumnProfile(name="d", distinct_values=365, min_value="2020-01-01", max_value="2020-12-31"),
            },
        )
    }
)


def _plan() -> OptimizedPlan:
    return optimize(WORKLOAD, PROFILE)


def test_every_line_has_a_card_with_the_workload_numbers() -> None:
    report = _plan().report
    assert [c.summary for c in report.recommendation_details] == report.recommendations
    cards = {c.rule: c for c in report.recommendation_details}
    aggregate = cards["pre_aggregation"]
    assert aggregate.tables == ["c.s_opt.f_agg_1"]
    assert aggregate.queries == ["0b0c3e1a-5b53-4411-b5e7-cb4f9f14f25b"]
    # 10 x 10 s of the workload's 10 x 10 + 30 x 10 s
    assert aggregate.estimate.weight_share == 0.25
    assert (aggregate.estimate.rows, aggregate.estimate.bytes) == (2_000_000, 300_000_000)
    assert aggregate.estimate.rows_after == 301  # origin's 300 values and NULL
    # Readable: the UUID's first block, the share and the effect in numbers.
    assert "query 0b0c3e1a (25% of the workload time)" in aggregate.summary
    assert "~301 groups instead of scanning 2.0M rows" in aggregate.summary
    assert "4411" not in aggregate.summary
    layout = cards["partitioning"]
    assert layout.tables == ["c.s_opt.f"] and layout.queries == ["0b0c3e1a-5b53-4411-b5e7-cb4f9f14f25b", "q1"]
    assert layout.estimate.weight_share == 0.75  # the range filter on d: q1's weight
    assert cards["materialized_blocks"].estimate.rows_after == 1  # a global count(*)


def test_markdown_is_deterministic_and_keeps_the_llm_text_apart() -> None:
    plan = _plan()
    text = render_markdown(plan.report, plan.result)
    assert text == render_markdown(plan.report, plan.result)
    assert "### 2. Pre-aggregated table: `c.s_opt.f_agg_1`" in text
    assert "| Serves | 1 query, 25% of the workload time: `0b0c3e1a` |" in text
    assert "| Reads today | 2.0M rows, 300 MB |" in text and "| Reads after | ~301 rows |" in text
    assert "LLM" not in text
    plan.report.explanation = "## Why\nThe LLM's words."
    with_llm = render_markdown(plan.report, plan.result)
    heading = "## The LLM's explanation (its own words, not checked by lakeopt)"
    assert with_llm.index(heading) < with_llm.index("The LLM's words.")
    assert with_llm.startswith(text.split("## Warnings")[0].rstrip())
