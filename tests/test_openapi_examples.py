"""The OpenAPI document's field descriptions and example bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gql_app.openapi import openapi_document
from gql_app.openapi_examples import FIELD_DESCRIPTIONS, RESULT_EXAMPLE, WORKLOAD_EXAMPLE
from jobs.contract.result import PlanResult
from jobs.contract.workload import parse_workload
from tests.contract_rules import contract_problems
from tests.live_service import LiveService

MODEL_SCHEMAS = ("Workload", "DdlStatement", "WorkloadQuery", "PlanResult", "Statement", "RewrittenQuery")


def test_every_model_property_is_described_and_no_description_is_stale() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for name in MODEL_SCHEMAS:
        properties = schemas[name]["properties"]
        assert schemas[name].get("description"), name
        undescribed = [field for field, schema in properties.items() if not schema.get("description")]
        assert undescribed == [], f"{name}: describe {undescribed} in gql_app/openapi_examples.py"
        stale = set(FIELD_DESCRIPTIONS.get(name, {})) - set(properties)
        assert stale == set(), f"{name} has no properties {stale}"
    assert set(FIELD_DESCRIPTIONS) <= set(MODEL_SCHEMAS)


def _examples(document: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    found = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            holders = {"request": operation.get("requestBody", {}), **operation["responses"]}
            for status, holder in holders.items():
                for name, example in holder.get("content", {}).get("application/json", {}).get("examples", {}).items():
                    found[(path, method, f"{status}/{name}")] = example["value"]
    return found


def test_examples_are_what_the_models_accept_and_a_valid_plan() -> None:
    examples = _examples(openapi_document())
    assert examples[("/new", "post", "request/workload")] == WORKLOAD_EXAMPLE
    assert examples[("/getresult", "get", "200/plan")] == RESULT_EXAMPLE
    workload = parse_workload(WORKLOAD_EXAMPLE)
    assert len(workload.queries) == 2
    assert PlanResult.model_validate(RESULT_EXAMPLE).model_dump() == RESULT_EXAMPLE
    # The documented result is a plan the contract accepts for the documented workload.
    assert contract_problems(WORKLOAD_EXAMPLE, RESULT_EXAMPLE) == []
    refused = examples[("/new", "post", "422/invalid")]
    assert refused["fields"][0]["field"] == "queries[0].runquantity"


@pytest.mark.redis
def test_the_service_serves_the_examples_and_refuses_as_documented(live_service: LiveService) -> None:
    served = httpx.get(f"{live_service.base_url}/openapi.json").json()
    assert _examples(served) == _examples(openapi_document())
    bad = {**WORKLOAD_EXAMPLE, "queries": [{**WORKLOAD_EXAMPLE["queries"][0], "runquantity": "795"}]}
    response = httpx.post(f"{live_service.base_url}/new", json=bad)
    assert response.status_code == 422
    assert response.json()["fields"] == _examples(served)[("/new", "post", "422/invalid")]["fields"]
