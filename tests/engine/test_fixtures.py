"""Each fixture pair under ``fixtures/``: the plan for the input holds the expected fragments."""

from __future__ import annotations

import pytest

from jobs.engine import optimize
from jobs.engine.validate import validate_result
from tests.engine.fixture_format import FIXTURES, fixture_names, load_fixture


def test_every_input_has_an_expectation() -> None:
    names = fixture_names()
    assert len(names) >= 10
    for name in names:
        assert (FIXTURES / f"{name}.expected.sql").exists(), name


@pytest.mark.parametrize("name", fixture_names())
def test_fixture(name: str) -> None:
    fixture = load_fixture(name)
    plan = optimize(fixture.workload, fixture.profile)
    assert validate_result(fixture.workload, plan.result) == [], fixture.title
    ddl = [s.statement for s in plan.result.ddl]
    migrations = [s.statement for s in plan.result.migrations]
    queries = {q.queryid: q.query for q in plan.result.queries}
    rewritten = {q.queryid for q in plan.plan.queries if q.rule} if plan.plan else set()
    assert fixture.expectations, fixture.title
    for kind, argument, body in fixture.expectations:
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        if kind == "ddl" and argument == "contains":
            for line in lines:
                assert any(line in s for s in ddl), f"{fixture.title}: no DDL contains {line!r}:\n" + "\n".join(ddl)
        elif kind == "migration" and argument == "contains":
            for line in lines:
                assert any(line in s for s in migrations), f"{fixture.title}: no migration contains {line!r}"
        elif kind in ("recommendation", "no recommendation"):
            text = "\n".join(plan.report.recommendations)
            for line in lines:
                assert (line in text) == (kind == "recommendation"), f"{fixture.title}: {kind} {line!r}:\n{text}"
        elif kind == "query" and argument.endswith(" baseline"):
            queryid = argument.removesuffix(" baseline")
            assert queryid in queries, f"{fixture.title}: the workload has no query {queryid}"
            assert queryid not in rewritten, f"{fixture.title}: {queryid} was rewritten: {queries[queryid]}"
            if lines:
                assert queries[queryid] == " ".join(lines), fixture.title
        elif kind == "query":
            assert argument in queries, f"{fixture.title}: the workload has no query {argument}"
            assert queries[argument] == " ".join(lines), f"{fixture.title}: query {argument}"
        else:
            raise AssertionError(f"{name}.expected.sql: unknown section {kind} {argument}")
