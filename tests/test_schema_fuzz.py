"""Schemathesis, bounded: generated REST and GraphQL requests get no 5xx and match the schemas."""

from __future__ import annotations

import pytest

from tests.live_service import LiveService
from tests.schema_fuzz import fuzz

pytestmark = pytest.mark.redis


def test_generated_requests_get_documented_answers_and_no_server_error(live_service: LiveService) -> None:
    tallies = fuzz(live_service.base_url, examples=40)
    for api, tally in tallies.items():
        assert tally.server_errors == 0, api
        assert tally.failures == [], "\n".join(tally.failures)
    # Four REST operations in two modes, two GraphQL fields: none was skipped.
    assert tallies["REST"].tried >= 4 * 2 * 20 and tallies["GraphQL"].tried >= 2 * 20
