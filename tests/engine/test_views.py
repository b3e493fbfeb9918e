"""Derived tables rendered as materialized views over the copies: GRACE PERIOD from max_staleness,
the refresh list, the validator's view rules, and the snapshot fallback."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobs.contract.result import PlanResult
from jobs.contract.workload import Workload, WorkloadError, parse_workload
from jobs.engine import optimize
from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import Plan
from jobs.engine.rules.testing import workload_of
from jobs.engine.validate import validate_result

DDL = ["CREATE TABLE c.s.f (origin varchar, delay double, cancelled boolean)"]
GRACE = "GRACE PERIOD INTERVAL '0' SECOND"
QUERY = "SELECT origin, COUNT(*) AS n, AVG(delay) AS d FROM c.s.f WHERE NOT cancelled GROUP BY origin"


def _workload(**extra: object) -> Workload:
    data = workload_of(DDL, [QUERY]).model_dump()
    return parse_workload({**data, **extra})


def test_grace_period_is_rendered_from_max_staleness() -> None:
    workload = _workload(max_staleness="15m")
    plan = optimize(workload)
    views = [s.statement for s in plan.result.ddl if s.statement.startswith("CREATE MATERIALIZED VIEW")]
    assert len(views) == 1
    assert views[0].startswith("CREATE MATERIALIZED VIEW c.s_opt.f_agg_1 GRACE PERIOD INTERVAL '900' SECOND WITH (")
    assert " FROM c.s_opt.f WHERE" in views[0]  # over the copy, not the source table
    assert plan.result.migrations[-1].statement == "REFRESH MATERIALIZED VIEW c.s_opt.f_agg_1"
    assert plan.report.refresh == ["REFRESH MATERIALIZED VIEW c.s_opt.f_agg_1"]
    assert validate_result(workload, plan.result) == []


def test_default_staleness_is_zero() -> None:
    plan = optimize(_workload())
    assert "GRACE PERIOD INTERVAL '0' SECOND" in plan.result.ddl[-1].statement
    assert any(line.startswith("views: after the migration") for line in plan.report.recommendations)


@pytest.mark.parametrize("value", ["soon", "15", "-1m", "1w"])
def test_bad_max_staleness_names_the_field(value: str) -> None:
    with pytest.raises(WorkloadError) as caught:
        _workload(max_staleness=value)
    assert [field for field, _ in caught.value.problems] == ["max_staleness"]


def test_a_view_reading_a_source_table_is_refused() -> None:
    workload = workload_of(DDL, ["SELECT origin FROM c.s.f"])
    result = PlanResult.model_validate(
        {
            "ddl": [
                {"statement": "CREATE SCHEMA c.s_opt"},
                {"statement": f"CREATE MATERIALIZED VIEW c.s_opt.v {GRACE} AS SELECT origin FROM c.s.f"},
            ],
            "migrations": [{"statement": "REFRESH MATERIALIZED VIEW c.s_opt.w"}],
            "queries": [{"queryid": "q0", "query": "SELECT origin FROM c.s_opt.v"}],
        }
    )
    assert validate_result(workload, result) == [
        "ddl[1]: the materialized view reads c.s.f, outside the new schema",
        "migrations[0]: refreshes c.s_opt.w, not a view the DDL creates",
    ]


def _reads_an_undeclared_table(model: WorkloadModel, plan: Plan) -> Plan:
    copy = plan.tables[0]
    odd = replace(copy, name="f_agg_9", kind="aggregate", fill_select="SELECT k AS k FROM c.other.lookup")
    return replace(plan, tables=(*plan.tables, odd))


def test_a_derived_table_over_a_table_the_plan_does_not_copy_stays_a_snapshot() -> None:
    plan = optimize(workload_of(DDL, [QUERY]), rules=(_reads_an_undeclared_table,))
    ddl = plan.result.ddl[-1].statement
    assert ddl.startswith("CREATE TABLE c.s_opt.f_agg_9 ") and ddl.endswith("WITH NO DATA")
    assert plan.result.migrations[-1].statement.startswith("INSERT INTO c.s_opt.f_agg_9")
    assert plan.report.refresh[0] == "DELETE FROM c.s_opt.f_agg_9"
    assert any(
        line.startswith("snapshot: c.s_opt.f_agg_9 is a table, not a view") for line in plan.report.recommendations
    )
