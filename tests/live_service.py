"""Starting ``lakeopt api`` and ``lakeopt worker`` as real processes for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jobs.tasks.redis_server import free_port


@dataclass
class LiveService:
    base_url: str
    home: Path
    database_path: Path
    api_log: Path
    worker_log: Path
    env: dict[str, str]
    python: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        with self.worker_log.open("ab") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [self.python, "-m", "lakeopt", "worker", *args], env=self.env, stdout=log, stderr=log
            )
        self.processes["worker"] = process
        return process

    def stop_worker(self) -> None:
        """Stop the worker gracefully (SIGTERM), so tasks wait in the queue until it starts again."""
        process = self.processes.pop("worker")
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # reaped here, so the failure does not leak into the next test
            process.wait()
            log = self.worker_log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"the worker did not stop within 30 s of SIGTERM:\n{log}") from None

    def kill_worker(self) -> None:
        process = self.processes.pop("worker")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.api_log, self.worker_log) if p.exists())

    def wait_for_status(self, task_id: str, wanted: set[str], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        status = ""
        while time.monotonic() < deadline:
            status = httpx.get(f"{self.base_url}/status", params={"task_id": task_id}).json()["status"]
            if status in wanted:
                return status
            time.sleep(0.1)
        raise AssertionError(f"task {task_id} still {status} after {timeout} s; the logs end:\n{self.logs()[-4000:]}")


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lakeopt api exited early:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"lakeopt api not ready after {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def start_service(
    home: Path, redis_url: str, *, python: str, extra_env: dict[str, str] | None = None
) -> Iterator[LiveService]:
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    database_path = home / "tasks.db"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{database_path}",
        "LAKEOPT_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    for name in ("LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL"):
        if not (extra_env and name in extra_env):
            env.pop(name, None)
    service = LiveService(
        base_url=f"http://127.0.0.1:{port}",
        home=home,
        database_path=database_path,
        api_log=home / "api.log",
        worker_log=home / "worker.log",
        env=env,
        python=python,
    )
    with service.api_log.open("ab") as api_log:  # the child keeps its own descriptor
        api = subprocess.Popen(
            [python, "-m", "lakeopt", "api", "--port", str(port)], env=env, stdout=api_log, stderr=api_log
        )
    service.processes["api"] = api
    try:
        _wait_ready(service.base_url, api, service.api_log)
        service.start_worker()
        yield service
    finally:
        for process in service.processes.values():
            process.terminate()
        for process in service.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
