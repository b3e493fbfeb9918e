"""Shared fixtures: a real Redis server, and a real lakeopt API + worker running as processes."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_service import LiveService, start_service

SHARED = Path(__file__).resolve().parents[2] / "shared"
WORKLOADS = SHARED / "workloads"

_redis_db = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set (CI starts Debian's redis-server), else a private real redis-server."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url.rsplit("/", 1)[0] if url.count("/") > 2 else url
        return
    from jobs.tasks.redis_server import running_redis

    with running_redis(tmp_path_factory.mktemp("redis")) as started:
        yield started.rsplit("/", 1)[0]


def _fresh_db(server_url: str) -> str:
    # Redis has 16 databases; a session uses fewer, so no two live services share a queue.
    return f"{server_url}/{next(_redis_db) % 16}"


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """A Redis database of this test's own, so queues of concurrent services never mix."""
    return _fresh_db(redis_server_url)


@pytest.fixture(scope="module")
def live_service(redis_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """API and worker as separate processes, sharing a SQLite store, like a deployment."""
    with start_service(
        tmp_path_factory.mktemp("service"), _fresh_db(redis_server_url), python=sys.executable
    ) as service:
        yield service


def load_workload(name: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads((WORKLOADS / name).read_text())
    return data


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Live Trino tests load and time real queries: they get 15 minutes, not the default 2."""
    for item in items:
        if item.get_closest_marker("trino") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(900))
