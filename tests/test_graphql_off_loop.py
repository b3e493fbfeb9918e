"""A GraphQL document executes off the app's event loop; its I/O goes back to that loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import strawberry
from strawberry.types import Info

from gql_app.graphql_guards import LakeoptSchema, guard_extensions, on_app_loop

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
