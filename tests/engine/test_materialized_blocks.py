"""Materialized join blocks: which blocks qualify, and original vs rewritten rows in DuckDB.

The generated queries join a fact table to a dimension (inner, left and comma joins), group by
keys from both sides (or not at all), filter with constants and with correlated and
uncorrelated subqueries, and use HAVING, ORDER BY over aggregate expressions, windows over
aggregates, positional keys and unnamed outputs, over data with NULL keys, NULL values,
unmatched rows and groups a WHERE empties.
"""

from __future__ import annotations

import json

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.contract.workload import parse_workload
from jobs.engine import optimize
from jobs.engine.rules.materialized_blocks import materialized_blocks
from jobs.engine.rules.testing import model_and_plan
from tests.conftest import WORKLOADS
from tests.engine.test_properties import DDL, _workload

duckdb = pytest.importorskip("duckdb")

from tests.engine.test_equivalence_duckdb import _apply_plan, _duck, _load, _same, compare_shared_workload  # noqa: E402

_JOINS = [
    "FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id",
    "FROM cat.sch.facts f LEFT JOIN cat.sch.dims d ON f.id = d.id",
    "FROM cat.sch.facts f, cat.sch.dims d WHERE f.id = d.id",
]
_KEYS = ["d.region", "f.kind", "d.name", "month(f.day)", "CASE WHEN f.qty > 5 THEN 'big' ELSE 'small' END"]
_AGGREGATES = [
    "COUNT(*)",
    "COUNT(d.name)",
    "SUM(f.amount)",
    "AVG(f.qty)",
    "MIN(f.day)",
    "MAX(d.region)",
    "COUNT(DISTINCT f.kind)",
    "SUM(f.amount) FILTER (WHERE f.flag)",
]
_FILTERS = [
    "f.flag",
    "f.qty > 3",
    "d.region IN ('x', 'y')",
    "f.kind = 'zzz'",
    "f.amount IS NOT NULL",
    "EXISTS (SELECT 1 FROM cat.sch.facts g WHERE g.id = f.id AND g.kind <> f.kind)",
    "f.day IN (SELECT day FROM cat.sch.facts WHERE flag)",
]


@st.composite
def join_queries(draw: st.DrawFn) -> str:
    join = draw(st.sampled_from(_JOINS))
    keys = draw(st.lists(st.sampled_from(_KEYS), max_size=3, unique=True))
    aggregates = draw(st.lists(st.sampled_from(_AGGREGATES), min_size=1, max_size=3, unique=True))
    filters = draw(st.lists(st.sampled_from(_FILTERS), max_size=2, unique=True))
    named = draw(st.booleans())
    outputs = [*keys, *(f"{a} AS a{i}" if named or i else a for i, a in enumerate(aggregates))]
    if keys and draw(st.booleans()):
        outputs.append(f"RANK() OVER (ORDER BY {aggregates[0]}) AS r")
    text = f"SELECT {', '.join(outputs)} {join}"
    if filters:
        text += (" AND " if " WHERE " in join else " WHERE ") + " AND ".join(filters)
    if keys:
        positional = draw(st.booleans())
        text += " GROUP BY " + ", ".join(str(i + 1) if positional else k for i, k in enumerate(keys))
    if draw(st.booleans()):
        text += " HAVING COUNT(*) > 1"
    if keys and draw(st.booleans()):
        text += f" ORDER BY {aggregates[0]} DESC, COUNT(*) + 1, 1"
    shape = draw(st.sampled_from(["plain", "cte", "union"]))
    if shape == "cte":
        text = f"WITH w AS ({text}) SELECT * FROM w"
    elif shape == "union" and "ORDER BY" not in text:
        text = f"{text} UNION ALL {text}"
    return text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(join_queries(), min_size=1, max_size=3), st.integers(0, 40), st.integers(0, 10**6))
def test_join_blocks_return_the_original_rows(texts: list[str], rows: int, seed: int) -> None:
    workload = _workload(texts)
    assert len(workload.ddl) == len(DDL)
    con = _load(workload, rows=rows, seed=seed)
    pairs = _apply_plan(con, workload)
    assert set(pairs) == {q.queryid for q in workload.queries}, "every generated join block qualifies"
    for queryid, (original, rewritten) in pairs.items():
        assert sqlglot.parse_one(rewritten, read="trino").find(sqlglot.exp.Join) is None
        expected = con.execute(_duck(original)).fetchall()
        assert _same(expected, con.execute(_duck(rewritten)).fetchall()), f"{queryid}:\n{original}\n{rewritten}"


@pytest.mark.parametrize("name", ["questsH", "tpcds"])
def test_shared_workload_rewrites_return_the_original_rows(name: str) -> None:
    assert compare_shared_workload(name, rows=60, seed=3) >= 3


def _rewrite(query: str, ddl: list[str] | None = None) -> str | None:
    model, plan = model_and_plan(ddl or DDL, [query])
    planned = materialized_blocks(model, plan).queries[0]
    return planned.text if planned.rule == "materialized_blocks" else None


def _output_names(text: str) -> list[str]:
    return [e.alias_or_name for e in sqlglot.parse_one(text, read="trino").selects]


def test_outputs_keep_their_names() -> None:
    query = (
        "SELECT d.region, COUNT(*), SUM(f.amount) AS total "
        "FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY d.region"
    )
    rewritten = _rewrite(query)
    assert rewritten is not None
    assert _output_names(rewritten) == ["region", "_col1", "total"]


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("no aggregate", "SELECT f.kind FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY f.kind"),
        (
            "order-dependent aggregate",
            "SELECT d.region, array_agg(f.kind) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY 1",
        ),
        (
            "non-deterministic",
            "SELECT d.region, SUM(f.amount * random()) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id "
            "GROUP BY 1",
        ),
        (
            "nested query after grouping",
            "SELECT d.region, COUNT(*) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id "
            "GROUP BY 1 HAVING COUNT(*) IN (SELECT id FROM cat.sch.dims)",
        ),
        (
            "nested query reading a CTE",
            "WITH r AS (SELECT id FROM cat.sch.dims) SELECT x.n FROM (SELECT d.region, COUNT(*) AS n "
            "FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id WHERE f.id IN (SELECT id FROM r) GROUP BY 1) x",
        ),
        (
            "correlated to an enclosing query",
            "SELECT d0.name FROM cat.sch.dims d0 WHERE d0.id IN (SELECT f.id FROM cat.sch.facts f "
            "JOIN cat.sch.dims d ON f.id = d.id GROUP BY f.id HAVING SUM(f.amount) > d0.id)",
        ),
        (
            "single-table groups without a profile",
            "SELECT kind, day, COUNT(DISTINCT id) FROM cat.sch.facts GROUP BY kind, day",
        ),
        (
            "grouping sets",
            "SELECT d.region, COUNT(*) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id "
            "GROUP BY GROUPING SETS ((d.region), ())",
        ),
        (
            "ambiguous column",
            "SELECT id, COUNT(*) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY id",
        ),
        (
            "a subquery in FROM",
            "SELECT d.region, COUNT(*) FROM (SELECT * FROM cat.sch.facts) f JOIN cat.sch.dims d ON f.id = d.id "
            "GROUP BY 1",
        ),
    ],
)
def test_blocks_that_do_not_qualify_keep_their_query(title: str, query: str) -> None:
    assert _rewrite(query) is None, title


def test_nested_queries_in_where_are_baked_into_the_table() -> None:
    correlated = (
        "SELECT d.region, SUM(f.amount) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id "
        "WHERE EXISTS (SELECT 1 FROM cat.sch.facts g WHERE g.id = f.id AND g.kind <> f.kind) "
        "AND f.day IN (SELECT day FROM cat.sch.facts WHERE flag) GROUP BY 1"
    )
    model, plan = model_and_plan(DDL, [correlated])
    planned = materialized_blocks(model, plan)
    assert planned.queries[0].text == "SELECT k_1 AS region, a_1 AS _col1 FROM cat.sch_opt.facts_block_1"
    fill = planned.tables[-1].fill_select
    assert "FROM cat.sch.facts AS g WHERE g.id = f.id" in fill and "SELECT day FROM cat.sch.facts WHERE flag" in fill
    global_count = "SELECT COUNT(DISTINCT kind) FROM cat.sch.facts WHERE qty BETWEEN 1 AND 5"
    assert _rewrite(global_count) == "SELECT a_1 AS _col0 FROM cat.sch_opt.facts_block_1"


def test_a_timestamp_that_iceberg_would_widen_is_not_materialized() -> None:
    ddl = ["CREATE TABLE c.s.e (id int, at timestamp(3))", "CREATE TABLE c.s.u (id int, name varchar)"]
    group_by_time = "SELECT e.at, COUNT(*) FROM c.s.e e JOIN c.s.u u ON e.id = u.id GROUP BY e.at"
    max_of_time = "SELECT u.name, MAX(e.at) FROM c.s.e e JOIN c.s.u u ON e.id = u.id GROUP BY u.name"
    count_only = "SELECT u.name, COUNT(e.at) FROM c.s.e e JOIN c.s.u u ON e.id = u.id GROUP BY u.name"
    assert _rewrite(group_by_time, ddl) is None
    assert _rewrite(max_of_time, ddl) is None
    assert _rewrite(count_only, ddl) is not None


def test_large_groups_are_not_materialized_when_the_profile_says_so() -> None:
    from jobs.contract.profile import ColumnProfile, DatabaseProfile, TableProfile

    query = "SELECT f.id, d.name, SUM(f.amount) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY 1, 2"
    small = "SELECT d.region, SUM(f.amount) FROM cat.sch.facts f JOIN cat.sch.dims d ON f.id = d.id GROUP BY 1"

    def column(name: str, values: float) -> ColumnProfile:
        return ColumnProfile(name=name, distinct_values=values)

    profile = DatabaseProfile(
        tables={
            "cat.sch.facts": TableProfile(name="cat.sch.facts", row_count=1e6, columns={"id": column("id", 9e5)}),
            "cat.sch.dims": TableProfile(
                name="cat.sch.dims",
                row_count=1e4,
                columns={"id": column("id", 1e4), "name": column("name", 1e4), "region": column("region", 20)},
            ),
        }
    )
    for text, expected in ((query, False), (small, True)):
        model, plan = model_and_plan(DDL, [text], profile)
        planned = materialized_blocks(model, plan).queries[0]
        assert (planned.rule == "materialized_blocks") is expected, text


def test_the_plan_is_valid_and_deterministic_on_the_shared_workloads() -> None:
    for name in ("questsH", "tpcds"):
        workload = parse_workload(json.loads((WORKLOADS / f"{name}.json").read_text()))
        first, second = optimize(workload), optimize(workload)
        assert first.result == second.result
        assert not [w for w in first.report.warnings if "reverted" in w or "failed" in w]
        assert any(q.rule == "materialized_blocks" for q in (first.plan.queries if first.plan else ()))
