"""What keeps GraphQL requests safe: bounded documents, one submission per request, error
messages (in responses and logs) with every secret redacted, and execution off the event loop.

Graphql-core echoes variable values and literals in its messages, so a password in a URL may
appear in any error; the redaction is :func:`jobs.sql.jdbc_url.redact_url`, the one every user
facing message goes through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import strawberry
from graphql import FieldNode, GraphQLError, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext, ExecutionResult, Info
from strawberry.types.graphql import OperationType

from jobs.sql.jdbc_url import redact_url

log = logging.getLogger("lakeopt.graphql")

#: Bounds of one GraphQL document (the workload goes in variables, which are not tokens).
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000
INTERNAL_ERROR = "Unexpected error."

#: Where the context keeps the app's event loop while a document executes on a loop of its own.
APP_LOOP = "app_loop"

T = TypeVar("T")


def _is_internal(error: GraphQLError) -> bool:
    # Validation and syntax errors have no original error and say what the client got wrong.
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class RedactErrors(MaskErrors):
    """Internal errors become ``Unexpected error.``; every other message is redacted."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True, error_message=INTERNAL_ERROR)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        message = INTERNAL_ERROR if _is_internal(error) else redact_url(error.message)
        return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path)


class OneSubmissionPerRequest(ValidationRule):
    """Refuse a document that asks for ``submitTask`` more than once (aliases, fragments)."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.seen = 0

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        parent = self.context.get_parent_type()
        if parent is not None and parent.name == "Mutation" and node.name.value == "submitTask":
            self.seen += 1
            if self.seen == 2:
                self.report_error(GraphQLError("at most one submitTask per request", node))


async def on_app_loop(info: Info[Any, Any], work: Coroutine[Any, Any, T]) -> T:
    """Await ``work`` on the app's event loop, where the store, Redis and the pools live."""
    loop = info.context.get(APP_LOOP) if isinstance(info.context, dict) else None
    if loop is None or loop is asyncio.get_running_loop():
        return await work
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


#: Documents executing at once; more wait for a thread.
EXECUTION_THREADS = 4


class LakeoptSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Threads of their own: a document waits on the app's loop, which needs the default
        # executor's threads for the store; sharing them could leave none for the store.
        self.executor = ThreadPoolExecutor(EXECUTION_THREADS, thread_name_prefix="graphql")

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Parsing, validating and coercing variables is CPU work (40,000 DDL statements take a
        second): it runs in a thread on a loop of its own, and resolvers send their I/O back to
        the app's loop with :func:`on_app_loop`."""
        if isinstance(context_value, dict):
            context_value[APP_LOOP] = asyncio.get_running_loop()
        work = super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        return await asyncio.get_running_loop().run_in_executor(self.executor, asyncio.run, work)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # One redacted line per error: graphql-core's own rendering quotes the document around
        # the error, which can cut a password in two where no redaction finds it.
        for error in errors:
            if _is_internal(error):
                log.error("GraphQL resolver failed: %s", redact_url(error.message), exc_info=error.original_error)
            else:
                log.info("GraphQL request refused: %s", redact_url(error.message))


def guard_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories: each request gets its own extension instances."""
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: AddValidationRules([OneSubmissionPerRequest]),
        RedactErrors,
    ]
