"""The static gate: only one read-only Trino query over the new schema's tables and columns passes."""

from __future__ import annotations

import pytest

from jobs.contract.result import PlanResult
from jobs.llm.gate import NewSchema, new_schema_from_ddl, static_rejection


@pytest.fixture
def schema(plan: PlanResult) -> NewSchema:
    return new_schema_from_ddl(plan.ddl)


def test_schema_is_read_from_the_plan_ddl(schema: NewSchema) -> None:
    assert schema.tables == {
        ("c", "s_opt", "orders"): {"o_id": "INTEGER", "customer": "VARCHAR", "amount": "DOUBLE", "status": "VARCHAR"},
        ("c", "s_opt", "customers"): {"name": "VARCHAR", "region": "VARCHAR"},
    }


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT customer, sum(amount) AS total FROM c.s_opt.orders GROUP BY customer ORDER BY total DESC;",
        # CTE names and their output aliases are not tables or stored columns.
        "WITH paid AS (SELECT customer AS who, amount FROM c.s_opt.orders WHERE status = 'paid') "
        "SELECT who, count(*) AS n FROM paid GROUP BY who",
        "SELECT o.o_id, cu.region FROM c.s_opt.orders AS o JOIN c.s_opt.customers cu ON o.customer = cu.name",
        "SELECT sub.c FROM (SELECT customer AS c FROM c.s_opt.orders) sub "
        "WHERE EXISTS (SELECT 1 FROM c.s_opt.customers x WHERE x.name = sub.c)",
        "SELECT customer FROM c.s_opt.orders UNION ALL SELECT name FROM c.s_opt.customers",
        'SELECT "CUSTOMER" FROM "C"."S_OPT"."ORDERS" -- trailing comment',
        "SELECT o.o_id, v.x FROM c.s_opt.orders o CROSS JOIN UNNEST(ARRAY[1, 2]) AS v(x)",
    ],
)
def test_valid_queries_pass(sql: str, schema: NewSchema) -> None:
    assert static_rejection(sql, schema) is None


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "empty SQL"),
        ("SELEC customer FRM c.s_opt.orders", "does not parse as Trino SQL"),
        ("SELECT 1; SELECT 2", "exactly one statement, got 2"),
        ("DELETE FROM c.s_opt.orders", "not a read-only query: contains DELETE"),
        ("INSERT INTO c.s_opt.orders SELECT * FROM c.s_opt.orders", "not a read-only query: contains INSERT"),
        ("DROP TABLE c.s_opt.orders", "not a read-only query: contains DROP"),
        ("CREATE TABLE c.s_opt.x AS SELECT 1 AS a", "not a read-only query: contains CREATE"),
        ("SHOW TABLES FROM c.s_opt", "not a read-only query: contains COMMAND"),
        ("VALUES (1)", "not a SELECT query"),
        ("SELECT 1", "reads no table of the new schema"),
        ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", "reads no table of the new schema"),
        ("SELECT customer FROM orders", "'orders' is not fully qualified"),
        ("SELECT customer FROM s_opt.orders", "'s_opt.orders' is not fully qualified"),
        ("SELECT customer FROM c.s.orders", "'c.s.orders' is not a table of the new schema"),
        ("SELECT customer FROM c.s_opt.lineitem", "'c.s_opt.lineitem' is not a table of the new schema"),
        ("SELECT * FROM TABLE(system.query(query => 'DELETE FROM x'))", "table functions are not allowed"),
        ("SELECT customer, price FROM c.s_opt.orders", "unknown column: Column 'price'"),
        ("SELECT o.region FROM c.s_opt.orders o", "unknown column"),
        ("SELECT name FROM c.s_opt.orders o JOIN c.s_opt.customers cu ON o.customer = cu.nam", "unknown column"),
        # A CTE must not hide an unknown column of the table it reads.
        ("WITH x AS (SELECT nope FROM c.s_opt.orders) SELECT * FROM x", "unknown column: Column 'nope'"),
    ],
)
def test_invalid_queries_are_rejected_with_the_reason(sql: str, reason: str, schema: NewSchema) -> None:
    rejection = static_rejection(sql, schema)
    assert rejection is not None and reason in rejection, rejection


def test_the_gate_reads_postgresql_plans_in_postgresql() -> None:
    from jobs.contract.result import Statement
    from jobs.llm.gate import new_schema_from_ddl, static_rejection

    ddl = [
        Statement(statement="CREATE SCHEMA s_opt"),
        Statement(statement="CREATE TABLE d.s_opt.t (a INT NOT NULL, b TEXT, PRIMARY KEY (a))"),
    ]
    schema = new_schema_from_ddl(ddl, "postgres")
    assert schema.tables == {("d", "s_opt", "t"): {"a": "INT", "b": "TEXT"}}
    assert static_rejection("SELECT a::bigint FROM d.s_opt.t WHERE b ~ '^x'", schema) is None
    assert static_rejection("SELECT zz FROM d.s_opt.t", schema) is not None
