"""A PostgreSQL workload planned for PostgreSQL: every statement parses in the PostgreSQL dialect,
runs on the real server in order, and every rewritten query returns the original's rows."""

from __future__ import annotations

import pytest
import sqlglot

from jobs.db.connection import connect_writable
from jobs.engine import optimize
from jobs.settings import Settings
from jobs.sql.jdbc_url import parse_jdbc_url
from tests.postgres.conftest import shop_workload

pytestmark = pytest.mark.postgres


def test_plan_parses_and_runs_statement_by_statement(pg_url: str, settings: Settings, shop: str) -> None:
    workload = shop_workload(pg_url, shop)
    plan = optimize(workload)
    database = parse_jdbc_url(pg_url).database
    ddl = [s.statement for s in plan.result.ddl]
    assert ddl[0] == f"CREATE SCHEMA {shop}_opt"
    assert (
        f"CREATE TABLE {database}.{shop}_opt.customers (id INT NOT NULL, name TEXT NOT NULL, region TEXT, "
        "PRIMARY KEY (id))" in ddl
    )
    assert not plan.report.warnings, plan.report.warnings
    statements = [*ddl, *(s.statement for s in plan.result.migrations)]
    with connect_writable(pg_url, settings) as connection:
        try:
            for statement in statements:
                assert len(sqlglot.parse(statement, read="postgres")) == 1
                connection.execute(statement)
            for original, rewritten in zip(workload.queries, plan.result.queries, strict=True):
                assert f"{shop}_opt." in rewritten.query
                sqlglot.parse_one(rewritten.query, read="postgres")
                assert connection.query(rewritten.query).rows == connection.query(original.query).rows
        finally:
            connection.execute(f"DROP SCHEMA IF EXISTS {shop}_opt CASCADE")
