"""A rule whose output breaks the contract costs only that output: the engine validates its plan
and reverts the offending queries and tables to the baseline; a rule that raises is skipped."""

from __future__ import annotations

from dataclasses import replace

from jobs.engine import optimize
from jobs.engine.model.workload_model import WorkloadModel
from jobs.engine.plan import NewTable, Plan, PlannedQuery
from jobs.engine.rules import RULES
from jobs.engine.rules.testing import workload_of
from jobs.engine.validate import validate_result

DDL = ["CREATE TABLE c.s.t (a int, b varchar)", "CREATE TABLE c.s.u (a int)"]
QUERIES = ["SELECT a FROM c.s.t", "SELECT b, count(*) FROM c.s.t GROUP BY b", "SELECT a FROM c.s.u"]


def _bad_query(model: WorkloadModel, plan: Plan) -> Plan:
    queries = list(plan.queries)
    queries[0] = PlannedQuery("q0", "SELECT a FROM c.s.t", rule="bad")  # reads the source schema
    queries[2] = PlannedQuery("q2", "SELECT a FROM c.s_opt.u WHERE a > 0", rule="fine")
    return replace(plan, queries=tuple(queries))


def _bad_table(model: WorkloadModel, plan: Plan) -> Plan:
    copy = plan.tables[1]
    broken: NewTable = replace(copy, fill_select="SELEC a FROM")  # does not parse
    extra = replace(copy, name="u_extra", kind="aggregate", fill_select="SELECT a FROM c.s.u")
    queries = list(plan.queries)
    queries[2] = PlannedQuery("q2", "SELECT a FROM c.s_opt.u_extra", rule="uses extra")
    return replace(plan.replace_table(copy, broken), tables=(*plan.tables, extra), queries=tuple(queries))


def _raises(model: WorkloadModel, plan: Plan) -> Plan:
    raise RuntimeError("boom")


def test_a_query_breaking_the_contract_reverts_alone() -> None:
    workload = workload_of(DDL, QUERIES)
    plan = optimize(workload, rules=(*RULES, _bad_query))
    assert validate_result(workload, plan.result) == []
    queries = {q.queryid: q.query for q in plan.result.queries}
    assert queries["q0"] == "SELECT a FROM c.s_opt.t"
    assert queries["q2"] == "SELECT a FROM c.s_opt.u WHERE a > 0"
    assert any("reverted to the baseline: queries[q0]" in w for w in plan.report.warnings)


def test_a_broken_table_reverts_to_its_copy() -> None:
    workload = workload_of(DDL, QUERIES)
    plan = optimize(workload, rules=(_bad_table,))
    assert validate_result(workload, plan.result) == []
    assert plan.result.migrations[1].statement == "INSERT INTO c.s_opt.u (a) SELECT a FROM c.s.u"
    assert "CREATE MATERIALIZED VIEW c.s_opt.u_extra" in plan.result.ddl[-1].statement
    assert plan.result.migrations[-1].statement == "REFRESH MATERIALIZED VIEW c.s_opt.u_extra"
    assert {q.queryid: q.query for q in plan.result.queries}["q2"] == "SELECT a FROM c.s_opt.u_extra"


def test_a_rule_that_raises_is_skipped() -> None:
    workload = workload_of(DDL, QUERIES)
    plan = optimize(workload, rules=(_raises, *RULES))
    assert validate_result(workload, plan.result) == []
    assert any("rule _raises failed" in w and "boom" in w for w in plan.report.warnings)
    assert plan.report.recommendations  # the other rules still ran
