"""After verification reverts rewrites, the derived tables no query reads leave the plan."""

from __future__ import annotations

from collections import defaultdict

from jobs.contract.result import RewrittenQuery
from jobs.engine import optimize
from jobs.engine.optimizer import baseline_result
from jobs.engine.unread_tables import without_unread_tables
from jobs.engine.validate import validate_result
from tests.engine.test_baseline import load


def test_a_table_goes_with_the_last_query_reading_it_and_copies_stay() -> None:
    _, work = load("tpcds")
    planned = optimize(work)
    assert planned.plan is not None
    readers: dict[str, list[str]] = defaultdict(list)
    for table in planned.plan.tables:
        if table.kind != "copy":
            for query in planned.plan.queries:
                if query.rule and table.qualified in query.text:
                    readers[table.qualified].append(query.queryid)
    alone = next(name for name, ids in readers.items() if len(ids) == 1)
    shared = next(name for name, ids in readers.items() if len(ids) > 1)
    revert = {readers[alone][0], readers[shared][0]}
    baseline_plan = baseline_result(work)
    baseline = {q.queryid: q.query for q in baseline_plan.queries}
    reverted = planned.result.model_copy(
        update={
            "queries": [
                RewrittenQuery(queryid=q.queryid, query=baseline[q.queryid]) if q.queryid in revert else q
                for q in planned.result.queries
            ]
        }
    )
    pruned, dropped = without_unread_tables(reverted, baseline_plan)
    assert dropped == [alone]
    statements = [s.statement for s in [*pruned.ddl, *pruned.migrations]]
    assert not [s for s in statements if f"{alone} " in s or s.endswith(alone)]
    assert len(pruned.ddl) == len(planned.result.ddl) - 1
    assert len(pruned.migrations) == len(planned.result.migrations) - 1
    assert any(shared in s for s in statements)
    assert validate_result(work, pruned) == []


def test_nothing_changes_when_every_derived_table_is_read() -> None:
    _, work = load("questsH")
    planned = optimize(work)
    assert without_unread_tables(planned.result, baseline_result(work)) == (planned.result, [])
