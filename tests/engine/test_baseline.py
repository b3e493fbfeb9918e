"""The baseline plan and messy input: every shared workload yields a valid plan, every id kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from jobs.contract.result import PlanResult
from jobs.contract.workload import Workload, parse_workload
from jobs.engine import PlanningError, check_ddl, optimize
from jobs.engine.baseline import baseline_plan
from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.requalify import parse_query, requalified_trees, table_references
from jobs.engine.model.source_ddl import read_source_tables, session_namespace
from jobs.engine.plan import render
from jobs.engine.validate import validate_result
from tests.conftest import WORKLOADS
from tests.contract_rules import contract_problems

SHARED = ("flights", "questsH", "tpcds")


def workload(ddl: list[str], queries: list[str], url: str | None = None) -> Workload:
    return parse_workload(
        {
            "url": url,
            "ddl": [{"statement": s} for s in ddl],
            "queries": [
                {"queryid": f"q{i}", "query": q, "runquantity": 10, "executiontime": 2} for i, q in enumerate(queries)
            ],
        }
    )


def load(name: str) -> tuple[dict[str, Any], Workload]:
    data = json.loads((WORKLOADS / f"{name}.json").read_text())
    return data, parse_workload(data)


def baseline_result(work: Workload) -> PlanResult:
    namespaces = Namespaces(read_source_tables(work), session_namespace(work.url))
    return render(baseline_plan(namespaces, [parse_query(q.queryid, q.query, namespaces) for q in work.queries]))


@pytest.mark.parametrize("name", SHARED)
def test_shared_workload_plans_are_valid(name: str) -> None:
    data, work = load(name)
    plan = optimize(work)
    assert validate_result(work, plan.result) == []
    assert contract_problems(data, plan.result.model_dump()) == []
    assert [q.queryid for q in plan.result.queries] == [q.queryid for q in work.queries]
    assert plan.report.query_notes == {}
    assert not [w for w in plan.report.warnings if "reverted" in w or "failed" in w]


def _tables(tree: exp.Expr) -> list[tuple[str, ...]]:
    return [tuple(p.name.lower() for p in t.parts) for t in table_references(tree)]


@pytest.mark.parametrize("name", SHARED)
def test_requalified_trees_are_what_parsing_the_requalified_text_gives(name: str) -> None:
    # The validator takes these trees instead of parsing the baseline texts again: sound only if
    # each text parses to the same statement reading the same tables.
    _, work = load(name)
    messy = workload(["CREATE TABLE c.s.t (a int, b varchar);", "CREATE TABLE c.s.u (a int)"], [q for q, _, _ in MESSY])
    for each in (work, messy):
        namespaces = Namespaces(read_source_tables(each), session_namespace(each.url))
        queries = [parse_query(q.queryid, q.query, namespaces) for q in each.queries]
        trees = requalified_trees(queries, namespaces)
        assert set(trees) == {q.requalified for q in queries if q.spliced} != set()
        for text, tree in trees.items():
            parsed = sqlglot.parse_one(text, read="trino")
            assert (type(parsed), _tables(parsed)) == (type(tree), _tables(tree)), text
            assert all(len(key) == 3 for key in _tables(tree)), text


@pytest.mark.parametrize("name", SHARED)
def test_baseline_copies_every_table_with_explicit_columns(name: str) -> None:
    data, work = load(name)
    result = baseline_result(work)
    assert validate_result(work, result) == []
    assert contract_problems(data, result.model_dump()) == []
    assert len(result.ddl) == 1 + len(work.ddl)
    assert len(result.migrations) == len(work.ddl)
    for migration in result.migrations:
        insert = sqlglot.parse_one(migration.statement, read="trino")
        assert isinstance(insert, exp.Insert)
        assert not list(insert.expression.find_all(exp.Star))
        source = insert.expression.find(exp.Table)
        assert source is not None and source.db in ("public", "data")


def test_migration_columns_match_the_source_ddl() -> None:
    work = workload(
        ["CREATE TABLE c.s.t (a int, \"order\" varchar, b decimal(7, 2)) WITH (format = 'ORC');"],
        ["SELECT a FROM c.s.t"],
    )
    result = optimize(work).result
    assert result.ddl[1].statement == (
        "CREATE TABLE c.s_opt.t (a INTEGER, \"order\" VARCHAR, b DECIMAL(7, 2)) WITH (format = 'ORC')"
    )
    assert result.migrations[0].statement == 'INSERT INTO c.s_opt.t (a, "order", b) SELECT a, "order", b FROM c.s.t'


def test_source_layout_is_kept() -> None:
    work = workload(
        ["CREATE TABLE c.s.t (a int, d date) WITH (partitioning = ARRAY['month(d)'], sorted_by = ARRAY['a'])"],
        ["SELECT a FROM c.s.t"],
    )
    assert "partitioning = ARRAY['month(d)'], sorted_by = ARRAY['a']" in optimize(work).result.ddl[1].statement


def test_new_schema_does_not_collide_with_a_source_schema() -> None:
    work = workload(
        ["CREATE TABLE c.s.t (a int)", "CREATE TABLE c.s_opt.u (a int)"],
        ["SELECT * FROM c.s.t JOIN c.s_opt.u ON t.a = u.a"],
    )
    result = optimize(work).result
    assert [s.statement for s in result.ddl[:2]] == ["CREATE SCHEMA c.s_opt_2", "CREATE SCHEMA c.s_opt_opt"]
    assert result.queries[0].query == "SELECT * FROM c.s_opt_2.t JOIN c.s_opt_opt.u ON t.a = u.a"
    assert validate_result(work, result) == []


def test_several_catalogs_get_one_new_schema_each() -> None:
    work = workload(["CREATE TABLE a.x.t (k int)", "CREATE TABLE b.y.u (k int)"], ["SELECT * FROM a.x.t, b.y.u"])
    result = optimize(work).result
    assert [s.statement for s in result.ddl[:2]] == ["CREATE SCHEMA a.x_opt", "CREATE SCHEMA b.y_opt"]
    assert result.queries[0].query == "SELECT * FROM a.x_opt.t, b.y_opt.u"


MESSY = [
    ("SELECT a FROM c.s.t;", "SELECT a FROM c.s_opt.t", ""),
    ("SELECT a FROM c.s.t ; ;  ", "SELECT a FROM c.s_opt.t", ""),
    ("/* lead */ SELECT a /* why */ FROM c.s.t", "/* lead */ SELECT a /* why */ FROM c.s_opt.t", ""),
    ("SELECT count() OVER () FROM c.s.t", "SELECT count(*) OVER () FROM c.s_opt.t", "count()"),
    ("SELECT x.a FROM c.s.c.s.t x", "SELECT x.a FROM c.s_opt.t x", ""),
    ("SELECT a FROM t WHERE a > 1", "SELECT a FROM c.s_opt.t WHERE a > 1", ""),
    ("SELECT a FROM s.t", "SELECT a FROM c.s_opt.t", ""),
    ("SELECT s.t.a FROM c.s.t", "SELECT c.s_opt.t.a FROM c.s_opt.t", ""),
    ("WITH t AS (SELECT a FROM c.s.t) SELECT a FROM t", "WITH t AS (SELECT a FROM c.s_opt.t) SELECT a FROM t", ""),
    ("WITH t AS (SELECT a FROM t) SELECT a FROM t", "WITH t AS (SELECT a FROM c.s_opt.t) SELECT a FROM t", ""),
    ("SELECT ';' AS c.s.t FROM c.s.t", None, "cannot be parsed"),
    (
        "SELECT a FROM c.s.t -- old: FROM c.s.u WHERE a = 1",
        "SELECT a FROM c.s_opt.t -- old: FROM c.s.u WHERE a = 1",
        "hides",
    ),
    ("SELEC a FROM c.s.t WHERE", "SELEC a FROM c.s_opt.t WHERE", "cannot be parsed"),
    ("SELECT a FROM c.s.t WHERE b = 'unterminated", "SELECT a FROM c.s.t WHERE b = 'unterminated", "tokenized"),
    ("SELECT * FROM c.s.t JOIN c.other.v ON true", "SELECT * FROM c.s_opt.t JOIN c.other.v ON true", "outside"),
]


@pytest.mark.parametrize(("query", "expected", "note"), MESSY)
def test_messy_queries_are_requalified_and_kept(query: str, expected: str | None, note: str) -> None:
    work = workload(["CREATE TABLE c.s.t (a int, b varchar);", "CREATE TABLE c.s.u (a int)"], [query, "SELECT 1"])
    plan = optimize(work)
    assert [q.queryid for q in plan.result.queries] == ["q0", "q1"]
    if expected is not None:
        assert plan.result.queries[0].query == expected
    if note:
        assert note in plan.report.query_notes["q0"]
    else:
        assert "q0" not in plan.report.query_notes
    assert validate_result(work, plan.result) == []


def test_unqualified_ddl_uses_the_url_namespace() -> None:
    work = workload(["CREATE TABLE t (a int)"], ["SELECT a FROM t"], url="jdbc:trino://h:8080/ice/sales?user=x")
    result = optimize(work).result
    assert result.ddl[0].statement == "CREATE SCHEMA ice.sales_opt"
    assert result.queries[0].query == "SELECT a FROM ice.sales_opt.t"


def test_duplicated_qualifiers_in_ddl_collapse() -> None:
    work = workload(["CREATE TABLE c.s.c.s.t (a int)"], ["SELECT a FROM c.s.t"])
    assert optimize(work).result.ddl[1].statement.startswith("CREATE TABLE c.s_opt.t (")


def test_ambiguous_unqualified_table_reads_the_first_declared_and_says_so() -> None:
    work = workload(["CREATE TABLE c.s.t (a int)", "CREATE TABLE c.r.t (a int)"], ["SELECT a FROM t"])
    plan = optimize(work)
    assert plan.result.queries[0].query == "SELECT a FROM c.s_opt.t"
    assert plan.report.query_notes["q0"] == "t is ambiguous (c.s.t, c.r.t): read as c.s.t"
    assert validate_result(work, plan.result) == []


def test_undeclared_tables_are_qualified_but_keep_their_schema() -> None:
    work = workload(["CREATE TABLE c.s.t (a int)"], ["SELECT a FROM t JOIN other ON true JOIN x.y.z.w ON true"])
    plan = optimize(work)
    assert plan.result.queries[0].query == "SELECT a FROM c.s_opt.t JOIN c.s.other ON true JOIN y.z.w ON true"
    assert "reads c.s.other, a table the DDL does not declare" in plan.report.query_notes["q0"]
    assert "x.y.z.w has more than catalog.schema.table: read as y.z.w" in plan.report.query_notes["q0"]
    assert validate_result(work, plan.result) == []


def test_session_schema_of_the_url_resolves_unqualified_names() -> None:
    work = workload(
        ["CREATE TABLE c.s.t (a int)", "CREATE TABLE c.r.t (a int)"], ["SELECT a FROM t"], url="jdbc:trino://h:1/c/r"
    )
    assert optimize(work).result.queries[0].query == "SELECT a FROM c.r_opt.t"


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        (["CREATE TABLE c.s.t (a int)", "CREATE TABLE c.s.u (a int"], "ddl[1]: cannot be parsed"),
        (["CREATE TABLE c.s.t (a int)", "SELECT 1"], "ddl[1]: expected a CREATE TABLE statement"),
        (["CREATE TABLE c.s.t AS SELECT 1 AS a"], "ddl[0]: CREATE TABLE has no column list"),
        (["CREATE TABLE c.s.t (a int); CREATE TABLE c.s.u (a int)"], "ddl[0]: expected one CREATE TABLE"),
        (["CREATE TABLE c.s.t (a int)", "CREATE TABLE C.S.T (b int)"], "ddl[1]: table c.s.t is declared twice"),
        (["CREATE TABLE t (a int)"], "ddl[0]: table t is not qualified"),
        (["CREATE TABLE w.x.y.z.t (a int)"], "ddl[0]: table name w.x.y.z.t has more than"),
    ],
)
def test_unplannable_ddl_names_the_statement(ddl: list[str], message: str) -> None:
    work = workload(ddl, ["SELECT 1"])
    with pytest.raises(PlanningError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        check_ddl(work)
    with pytest.raises(PlanningError):
        optimize(work)


def test_validator_catches_broken_results() -> None:
    _, work = load("questsH")
    good = optimize(work).result
    broken = good.model_copy(deep=True)
    broken.ddl[0].statement = "CREATE SCHEMA quests.public"
    broken.migrations[0].statement = "INSERT INTO quests.public.h_author SELECT * FROM quests.public_opt.h_author"
    broken.queries[0].query = "SELECT * FROM h_client"
    broken.queries.append(broken.queries[1])
    problems = validate_result(work, broken)
    assert "ddl[0]: creates quests.public, which is a source schema" in problems
    assert any(p.startswith("migrations[0]: writes quests.public.h_author") for p in problems)
    assert any(p.startswith(f"queries[{good.queries[0].queryid}]: h_client is not fully") for p in problems)
    assert f"queries[{good.queries[1].queryid}]: appears more than once" in problems


def test_what_the_rules_do_on_the_shared_workloads() -> None:
    flights = optimize(load("flights")[1])
    assert flights.plan is not None
    assert sum(1 for q in flights.plan.queries if q.rule == "pre_aggregation") >= 15
    assert sum(1 for t in flights.plan.tables if t.kind == "aggregate") >= 12
    tpcds = optimize(load("tpcds")[1])
    ddl = "\n".join(s.statement for s in tpcds.result.ddl)
    assert "CREATE TABLE mtpcds.data_opt.store_sales (" in ddl
    assert "sorted_by = ARRAY['ss_sold_date_sk']" in ddl
    assert "sorted_by = ARRAY['d_year']" in ddl
    quests = optimize(load("questsH")[1])
    lines = [r.split(" holds")[0] for r in quests.report.recommendations]
    assert lines[0] == "pre-aggregation: quests.public_opt.s_client_personal_info_agg_1"
    assert len([line for line in lines if line.startswith("materialized block:")]) >= 6
