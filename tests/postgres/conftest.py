"""A small shop database (two source tables, thousands of rows) in a fresh schema of the test
PostgreSQL, and a workload over it written the way PostgreSQL users write it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest

from jobs.contract.workload import Workload, parse_workload
from jobs.db.connection import connect_writable
from jobs.settings import Settings, load_settings
from tests.services import service_url

ORDERS = 20_000


@pytest.fixture(scope="module")
def pg_url() -> str:
    return service_url("LAKEOPT_TEST_PG_URL", "PostgreSQL")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return dataclasses.replace(load_settings(), jdbc_statement_timeout=60.0)


@pytest.fixture(scope="module")
def shop(pg_url: str, settings: Settings) -> Iterator[str]:
    """The schema name; it and every schema the plans create (``<name>_opt``) are dropped afterwards.

    Orders rows are wide, as real ones are: an index is small beside its table."""
    name = f"shop_{uuid.uuid4().hex[:8]}"
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
        connection.execute(f"CREATE TABLE {name}.customers (id serial PRIMARY KEY, name text NOT NULL, region text)")
        connection.execute(
            f"CREATE TABLE {name}.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, status text, "
            f"amount numeric(10, 2), created_at timestamp, note text)"
        )
        connection.execute(
            f"INSERT INTO {name}.customers (name, region) SELECT 'c' || g, (ARRAY['n', 's', 'e', 'w'])[1 + g % 4] "
            f"FROM generate_series(1, 500) g"
        )
        connection.execute(
            f"INSERT INTO {name}.orders (customer_id, status, amount, created_at, note) "
            f"SELECT 1 + g % 500, CASE WHEN g % 50 = 0 THEN 'open' ELSE 'done' END, (g % 1000) / 10.0, "
            f"timestamp '2024-01-01' + g * interval '10 minutes', repeat('x', 300) || g "
            f"FROM generate_series(1, {ORDERS}) g"
        )
        connection.execute(f"ANALYZE {name}.customers")
        connection.execute(f"ANALYZE {name}.orders")
    yield name
    with connect_writable(pg_url, settings) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name}_opt CASCADE")
        connection.execute(f"DROP SCHEMA {name} CASCADE")


def shop_workload(url: str, schema: str) -> Workload:
    """DDL as PostgreSQL users write it (serial, two-part names), queries with one-part names too."""
    weighted = [
        f"SELECT count(*), sum(amount) FROM {schema}.orders WHERE customer_id = 42",
        f"SELECT id, amount FROM {schema}.orders WHERE created_at >= timestamp '2024-03-01' "
        f"AND created_at < timestamp '2024-03-02' ORDER BY id",
        f"SELECT c.region, count(*) FROM {schema}.orders o JOIN {schema}.customers c ON c.id = o.customer_id "
        f"WHERE o.status = 'open' GROUP BY c.region ORDER BY c.region",
        f"SELECT name FROM {schema}.customers WHERE id = 7",
    ]
    return parse_workload(
        {
            "url": url,
            "ddl": [
                {
                    "statement": f"CREATE TABLE {schema}.customers "
                    "(id serial PRIMARY KEY, name text NOT NULL, region text);"
                },
                {
                    "statement": f"CREATE TABLE {schema}.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, "
                    "status text, amount numeric(10, 2), created_at timestamp, note text)"
                },
            ],
            "queries": [
                {"queryid": f"q{i}", "query": q, "runquantity": 100, "executiontime": 1.0}
                for i, q in enumerate(weighted)
            ],
        }
    )
