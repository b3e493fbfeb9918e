"""A bounded schemathesis run over the REST OpenAPI document and the GraphQL schema.

Every generated request must get a 2xx or a client error, never a 5xx, and every response must
match the documented status codes, content types and schemas. Valid-looking SQL is not what
schemathesis generates, so "schema-valid request rejected" is not a failure here: the DDL is
checked beyond what a JSON schema can say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import schemathesis
import schemathesis.checks
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import BaseSchema


@dataclass
class FuzzTally:
    tried: int = 0
    accepted: int = 0
    client_errors: int = 0
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)


def _run(schema: BaseSchema, base_url: str, modes: list[GenerationMode], examples: int, tally: FuzzTally) -> None:
    graphql = "graphql" in type(schema).__module__
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes:

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(st.data())
            def call(data: st.DataObject) -> None:
                case = data.draw(operation.as_strategy(generation_mode=mode))  # noqa: B023 (called at once)
                response = case.call(base_url=base_url, timeout=60)
                tally.tried += 1
                refused = response.status_code >= 400 or (graphql and "errors" in response.json())
                if response.status_code >= 500:
                    tally.server_errors += 1
                elif refused:
                    tally.client_errors += 1
                else:
                    tally.accepted += 1
                try:
                    case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])
                except FailureGroup as exc:
                    tally.failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])  # noqa: B023

            call()


def fuzz(base_url: str, *, examples: int = 25) -> dict[str, FuzzTally]:
    """Up to ``examples`` generated requests per operation and mode, against a live service."""
    rest, graphql = FuzzTally(), FuzzTally()
    openapi = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    _run(openapi, base_url, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], examples, rest)
    _run(schemathesis.graphql.from_url(f"{base_url}/graphql"), base_url, [GenerationMode.POSITIVE], examples, graphql)
    return {"REST": rest, "GraphQL": graphql}
