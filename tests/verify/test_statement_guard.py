"""The verify guard is an allow-list: every statement outside it is refused by ``check_plan``,
before the verifier runs the plan's first statement, and the refusal names the statement."""

from __future__ import annotations

import pytest

from jobs.contract.result import PlanResult, RewrittenQuery, Statement
from jobs.contract.workload import parse_workload
from jobs.verify.statements import UnsafeStatementError
from jobs.verify.verifier import check_plan

WORKLOAD = parse_workload(
    {
        "ddl": [{"statement": "CREATE TABLE cat.src.t (a integer, b varchar)"}],
        "queries": [{"queryid": "q1", "query": "SELECT a FROM cat.src.t"}],
    }
)
SAFE_DDL = [
    "CREATE SCHEMA cat.opt",
    "CREATE TABLE cat.opt.t (a integer, b varchar) WITH (format = 'ORC')",
]
SAFE_MIGRATION = "INSERT INTO cat.opt.t SELECT a, b FROM cat.src.t"


def _plan(*, ddl: list[str] | None = None, migrations: list[str] | None = None, query: str | None = None) -> PlanResult:
    return PlanResult(
        ddl=[Statement(statement=s) for s in SAFE_DDL + (ddl or [])],
        migrations=[Statement(statement=s) for s in [SAFE_MIGRATION, *(migrations or [])]],
        queries=[RewrittenQuery(queryid="q1", query=query or "SELECT a FROM cat.opt.t")],
    )


def test_the_allow_listed_plan_passes() -> None:
    plan = check_plan(
        WORKLOAD,
        _plan(ddl=["CREATE TABLE cat.opt.u AS SELECT a FROM cat.src.t WITH NO DATA", "DROP TABLE IF EXISTS cat.opt.u"]),
    )
    assert plan.schema == "cat.opt"


@pytest.mark.parametrize(
    ("where", "statement"),
    [
        ("migrations", "DROP TABLE cat.src.t"),
        ("migrations", "DROP SCHEMA cat.src CASCADE"),
        ("migrations", "DELETE FROM cat.src.t WHERE a = 1"),
        ("migrations", "MERGE INTO cat.src.t AS x USING cat.opt.t AS y ON x.a = y.a WHEN MATCHED THEN DELETE"),
        ("migrations", "UPDATE cat.src.t SET a = 1"),
        ("migrations", "TRUNCATE TABLE cat.src.t"),
        ("ddl", "ALTER TABLE cat.src.t ADD COLUMN c integer"),
        ("ddl", "ALTER SCHEMA cat.src RENAME TO gone"),
        ("ddl", "GRANT SELECT ON cat.src.t TO ROLE public"),
        ("migrations", "CALL cat.system.rollback_to_snapshot('src', 't', 1)"),
        ("migrations", "EXECUTE IMMEDIATE 'DROP TABLE cat.src.t'"),
        ("migrations", "EXECUTE stmt"),
        ("ddl", "SET SESSION query_max_run_time = '1s'"),
        ("ddl", "USE cat.src"),
        ("migrations", "INSERT INTO cat.opt.t SELECT a, b FROM cat.src.t; DROP TABLE cat.src.t"),
        ("migrations", "/* harmless */ DROP TABLE cat.src.t"),
        ("migrations", "-- a comment\nDROP TABLE cat.src.t"),
        ("migrations", "INSERT INTO cat.src.t SELECT a, b FROM cat.opt.t"),
        ("ddl", "CREATE TABLE cat.src.t2 (a integer)"),
        ("ddl", "DROP TABLE IF EXISTS cat.src.t"),
        ("ddl", "DROP TABLE IF EXISTS cat.opt.t, cat.src.t"),
        ("query", "DELETE FROM cat.src.t"),
    ],
)
def test_anything_outside_the_allow_list_is_refused_naming_it(where: str, statement: str) -> None:
    if where == "ddl":
        plan = _plan(ddl=[statement])
    elif where == "migrations":
        plan = _plan(migrations=[statement])
    else:
        plan = _plan(query=statement)
    with pytest.raises(UnsafeStatementError) as refused:
        check_plan(WORKLOAD, plan)
    message = str(refused.value)
    named = {"ddl": "ddl[2]", "migrations": "migrations[1]", "query": "q1"}[where]
    keyword = next(word for word in statement.split() if word.isupper())
    assert named in message and keyword in message, message


def test_a_new_schema_that_is_a_source_schema_is_refused() -> None:
    plan = PlanResult(
        ddl=[Statement(statement="CREATE SCHEMA cat.src")],
        migrations=[],
        queries=[RewrittenQuery(queryid="q1", query="SELECT a FROM cat.src.t")],
    )
    with pytest.raises(UnsafeStatementError, match=r"cat\.src is a source schema"):
        check_plan(WORKLOAD, plan)
