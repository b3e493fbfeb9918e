"""The test checker must really compare: equivalent queries pass, different ones fail."""

from __future__ import annotations

from tests.llm.conftest import HEAVY
from tests.llm.sqlite_checker import SqliteEquivalenceChecker


async def test_equivalent_rewrite_on_the_new_schema_matches(checker: SqliteEquivalenceChecker) -> None:
    rewrite = "SELECT customer, sum(amount) AS total FROM c.s_opt.orders WHERE 'paid' = status GROUP BY 1"
    same, detail = await checker.check(HEAVY, rewrite)
    assert same, detail
    assert checker.rows(HEAVY), "the seeded data must make the query return rows"


async def test_different_filter_is_caught(checker: SqliteEquivalenceChecker) -> None:
    rewrite = "SELECT customer, sum(amount) AS total FROM c.s_opt.orders WHERE status <> 'paid' GROUP BY customer"
    same, detail = await checker.check(HEAVY, rewrite)
    assert not same
    assert "rows" in detail


async def test_lost_duplicates_are_caught(checker: SqliteEquivalenceChecker) -> None:
    original = "SELECT status FROM c.s.orders"
    same, _ = await checker.check(original, "SELECT DISTINCT status FROM c.s_opt.orders")
    assert not same


async def test_order_matters_only_when_the_original_orders(checker: SqliteEquivalenceChecker) -> None:
    ordered = "SELECT o_id, amount FROM c.s.orders WHERE amount IS NOT NULL ORDER BY amount, o_id"
    reversed_order = "SELECT o_id, amount FROM c.s_opt.orders WHERE amount IS NOT NULL ORDER BY amount DESC, o_id"
    assert not (await checker.check(ordered, reversed_order))[0]
    unordered = "SELECT o_id, amount FROM c.s.orders WHERE amount IS NOT NULL"
    assert (await checker.check(unordered, reversed_order))[0]
