"""A GraphQL document executes off the app's event loop; its I/O goes back to that loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.types import Info

from gql_app.graphql_guards import LakeoptSchema, guard_extensions, on_app_loop
from tests.live_service import LiveService

seen: dict[str, Any] = {}


async def _io() -> int:
    seen["io_loop"] = asyncio.get_running_loop()
    return 7


@strawberry.type
class Query:
    @strawberry.field
    async def answer(self, info: Info[Any, Any]) -> int:
        seen["resolver_thread"] = threading.get_ident()
        return await on_app_loop(info, _io())


async def test_execution_is_in_a_thread_and_io_on_the_app_loop() -> None:
    schema = LakeoptSchema(query=Query, extensions=guard_extensions())
    result = await schema.execute("{ answer }", context_value={})
    assert result.errors is None and result.data == {"answer": 7}
    assert seen["resolver_thread"] != threading.get_ident()
    assert seen["io_loop"] is asyncio.get_running_loop()


@pytest.mark.redis
async def test_many_submissions_at_once_all_answer(live_service: LiveService) -> None:
    """More documents at once than the default executor has threads: the store still gets its own."""
    mutation = "mutation($i: TaskInput!) { submitTask(input: $i) { __typename } }"
    workload = {
        "ddl": [{"statement": "CREATE TABLE c.s.t (a integer)"}],
        "queries": [{"queryid": "q", "query": "SELECT a FROM c.s.t", "runquantity": 1}],
    }
    async with httpx.AsyncClient(base_url=live_service.base_url, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/graphql", json={"query": mutation, "variables": {"i": workload}}) for _ in range(16))
        )
    assert [r.json()["data"]["submitTask"]["__typename"] for r in responses] == ["Task"] * 16
