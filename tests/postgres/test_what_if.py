"""hypopg what-if costs on the real PostgreSQL: the profile costs the engine's candidates, the
engine keeps the ones that pay, and PostgreSQL's planner then uses the index the plan creates."""

from __future__ import annotations

import dataclasses
import json

import pytest

from jobs.db.connection import connect_writable
from jobs.db.profiler import collect_profile
from jobs.engine import optimize
from jobs.settings import Settings
from tests.postgres.conftest import shop_workload

pytestmark = pytest.mark.postgres


def _scans(plan: dict[str, object]) -> list[tuple[str, str]]:
    found = [(str(plan["Node Type"]), str(plan.get("Index Name", "")))]
    for child in plan.get("Plans", []) or []:  # type: ignore[attr-defined]
        found.extend(_scans(child))
    return found


def test_what_if_picks_an_index_the_planner_then_uses(pg_url: str, settings: Settings, shop: str) -> None:
    workload = shop_workload(pg_url, shop)
    profile = collect_profile(pg_url, workload, settings)
    assert profile.index_costs is not None, profile.warnings
    assert profile.index_costs.base and profile.index_costs.costs
    plan = optimize(workload, profile)
    created = [s.statement for s in plan.result.ddl if s.statement.startswith("CREATE INDEX")]
    on_customer = [s for s in created if f"{shop}_opt.orders" in s and "(customer_id" in s]
    assert on_customer, created
    with connect_writable(pg_url, settings) as connection:
        try:
            for statement in [*(s.statement for s in plan.result.ddl), *(s.statement for s in plan.result.migrations)]:
                connection.execute(statement)
            query = next(q.query for q in plan.result.queries if q.queryid == "q0")
            explained = json.loads(str(connection.query(f"EXPLAIN (FORMAT JSON) {query}").rows[0][0]))[0]["Plan"]
            index_name = on_customer[0].split()[2].strip('"')
            assert any(name == index_name for _, name in _scans(explained)), explained
        finally:
            connection.execute(f"DROP SCHEMA IF EXISTS {shop}_opt CASCADE")


def test_without_hypopg_costs_the_rules_choose(pg_url: str, settings: Settings, shop: str) -> None:
    workload = shop_workload(pg_url, shop)
    profile = collect_profile(pg_url, workload, dataclasses.replace(settings, what_if=False))
    assert profile.index_costs is None
    plan = optimize(workload, profile)
    assert any("chosen by rule" in line for line in plan.report.recommendations), plan.report.recommendations
