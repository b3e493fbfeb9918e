"""Finding the real servers tests run against.

A test that needs a server asks :func:`service_url`. Locally a missing server skips the test;
in CI (``LAKEOPT_REQUIRE_SERVICES=1``) it fails it, so a broken service setup cannot pass
silently.
"""

from __future__ import annotations

import os

import pytest


def services_required() -> bool:
    return os.environ.get("LAKEOPT_REQUIRE_SERVICES") == "1"


def service_url(env_var: str, what: str) -> str:
    """The URL in ``env_var``, or skip (fail in CI) naming the missing service."""
    value = os.environ.get(env_var)
    if value:
        return value
    message = f"{what} is not available: set {env_var}"
    if services_required():
        pytest.fail(message)
    pytest.skip(message)
