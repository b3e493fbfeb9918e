"""The loaded sandbox the Trino tests run against (``LAKEOPT_TEST_TRINO_URL``, started by .ci/services/30-trino.sh)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobs.db.trino_client import TrinoClient, client_from_jdbc_url
from tests.services import service_url


def shared_workloads_dir() -> Path:
    shared = os.environ.get("LAKEOPT_SHARED_DIR")
    base = Path(shared) if shared else Path(__file__).resolve().parents[3] / "shared"
    return base / "workloads"


@pytest.fixture
def trino() -> TrinoClient:
    return client_from_jdbc_url(service_url("LAKEOPT_TEST_TRINO_URL", "the Trino sandbox"))
