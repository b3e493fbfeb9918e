"""The API's CPU pool: results and typed errors cross back, and a dead process is replaced."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.contract.workload import WorkloadError
from jobs.engine import PlanningError
from jobs.tasks.cpu_pool import CpuPool
from jobs.tasks.service import check_workload

QUERIES = [{"queryid": "q", "query": "SELECT a FROM c.s.t", "runquantity": 1}]


def _die_once(marker: str) -> int:
    """Kill the pool process the first time (as the OOM killer would), answer the second."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(9)
    return os.getpid()


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    started = CpuPool()
    yield started
    started.close()


async def test_a_checked_workload_comes_back_without_its_password(pool: CpuPool) -> None:
    url = "jdbc:trino://127.0.0.1:1/c?user=u&password=S3cret"
    payload = {"url": url, "ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}], "queries": QUERIES}
    checked = await pool.run(check_workload, payload)
    assert checked.url == url  # kept for the encrypted secret, never stored
    assert checked.url_redacted is not None and "S3cret" not in checked.url_redacted
    assert "S3cret" not in checked.workload_json


async def test_typed_errors_cross_back_naming_the_field(pool: CpuPool) -> None:
    bad_ddl = {"ddl": [{"statement": "CREATE TABLE c.s.t (a int"}], "queries": QUERIES}
    with pytest.raises(PlanningError) as planning:
        await pool.run(check_workload, bad_ddl)
    assert planning.value.field == "ddl[0]" and "cannot be parsed" in planning.value.reason
    with pytest.raises(WorkloadError) as workload:
        await pool.run(check_workload, {"ddl": [], "queries": QUERIES})
    assert [field for field, _ in workload.value.problems] == ["ddl"]


async def test_a_dead_pool_process_is_replaced_and_the_call_tried_again(pool: CpuPool, tmp_path: Path) -> None:
    pid = await pool.run(_die_once, str(tmp_path / "died"))
    assert pid != os.getpid() and (tmp_path / "died").exists()
