"""A two-table workload, its baseline plan on ``c.s_opt``, settings pointing at a scripted server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.contract.result import PlanResult
from jobs.contract.workload import Workload, parse_workload
from jobs.settings import Settings
from tests.llm.sqlite_checker import SqliteEquivalenceChecker

ORDERS = "(o_id integer, customer varchar, amount double, status varchar)"
CUSTOMERS = "(name varchar, region varchar)"

#: Heaviest first: 100 runs x 10 s, then 5 x 2 s.
HEAVY = "SELECT customer, sum(amount) AS total FROM c.s.orders WHERE status = 'paid' GROUP BY customer"
LIGHT = "SELECT o.o_id, cu.region FROM c.s.orders o JOIN c.s.customers cu ON o.customer = cu.name"


def make_workload() -> Workload:
    return parse_workload(
        {
            "ddl": [
                {"statement": f"CREATE TABLE c.s.orders {ORDERS}"},
                {"statement": f"CREATE TABLE c.s.customers {CUSTOMERS}"},
            ],
            "queries": [
                {"queryid": "light", "query": LIGHT, "runquantity": 5, "executiontime": 2},
                {"queryid": "heavy", "query": HEAVY, "runquantity": 100, "executiontime": 10},
            ],
        }
    )


def make_plan() -> PlanResult:
    return PlanResult.model_validate(
        {
            "ddl": [
                {"statement": "CREATE SCHEMA c.s_opt"},
                {"statement": f"CREATE TABLE c.s_opt.orders {ORDERS} WITH (format = 'PARQUET')"},
                {"statement": f"CREATE TABLE c.s_opt.customers {CUSTOMERS} WITH (format = 'PARQUET')"},
            ],
            "migrations": [
                {"statement": "INSERT INTO c.s_opt.orders SELECT o_id, customer, amount, status FROM c.s.orders"},
                {"statement": "INSERT INTO c.s_opt.customers SELECT name, region FROM c.s.customers"},
            ],
            "queries": [
                {"queryid": "light", "query": LIGHT.replace("c.s.", "c.s_opt.")},
                {"queryid": "heavy", "query": HEAVY.replace("c.s.", "c.s_opt.")},
            ],
        }
    )


def llm_settings(base_url: str, api_key: str | None = "sk-test-key") -> Settings:
    return Settings(
        redis_url=None,
        database_url="sqlite://",
        driver_dir=Path("/nonexistent"),
        llm_base_url=base_url,
        llm_api_key=api_key,
        llm_model="lakeopt-test-model",
        task_time_limit=900.0,
        jdbc_statement_timeout=60.0,
        home=Path("/nonexistent"),
    )


@pytest.fixture
def workload() -> Workload:
    return make_workload()


@pytest.fixture
def plan() -> PlanResult:
    return make_plan()


@pytest.fixture
def checker(workload: Workload, plan: PlanResult) -> Iterator[SqliteEquivalenceChecker]:
    made = SqliteEquivalenceChecker(workload, plan)
    yield made
    made.close()
