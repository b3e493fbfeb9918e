"""Settings from the environment, read once through a cached getter (no import-time state)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable has a value lakeopt cannot use; the message names it."""


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"environment variable {name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"environment variable {name} must be positive, got {raw!r}")
    return value


def default_home() -> Path:
    """Where lakeopt keeps its local state (task store, embedded Redis, caches)."""
    return Path(os.environ.get("LAKEOPT_HOME", Path.home() / ".lakeopt"))


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    database_url: str
    driver_dir: Path
    llm_base_url: str | None
    llm_api_key: str | None
    llm_model: str | None
    #: Wall-clock limit of one task, seconds (the contract allows 15 minutes).
    task_time_limit: float
    #: Timeout of one JDBC statement, seconds.
    jdbc_statement_timeout: float
    home: Path
    #: PostgreSQL: cost index candidates with hypopg (``LAKEOPT_WHAT_IF=0`` turns it off: rules alone).
    what_if: bool = True
    #: A worker's claim on a task lapses this long after its last renewal (renewed every third).
    lease_seconds: float = 30.0
    #: How often each worker sweeps: lapsed leases, tasks Redis lost, tasks past their deadline.
    sweep_interval: float = 10.0
    #: Runs of a task that may be lost (worker died, lease lapsed) before it is FAILED.
    max_attempts: int = 3
    #: Longest wait between two attempts to reach Redis again after it went away, seconds.
    redis_reconnect_max: float = 30.0
    #: ``LAKEOPT_AUTH=required``: every request needs a token even while none exists.
    auth_required: bool = False

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


def _auth_required() -> bool:
    raw = (os.environ.get("LAKEOPT_AUTH") or "auto").strip().lower()
    if raw not in ("auto", "required"):
        raise SettingsError(f"environment variable LAKEOPT_AUTH must be 'auto' or 'required', got {raw[:40]!r}")
    return raw == "required"


def load_settings() -> Settings:
    """Build settings from the current environment (uncached; tests call this directly)."""
    home = default_home()
    return Settings(
        redis_url=os.environ.get("REDIS_URL") or None,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{home / 'tasks.db'}",
        driver_dir=Path(os.environ.get("LAKEOPT_DRIVER_DIR") or home / "drivers"),
        llm_base_url=os.environ.get("LLM_BASE_URL") or None,
        llm_api_key=os.environ.get("LLM_API_KEY") or None,
        llm_model=os.environ.get("LLM_MODEL") or None,
        task_time_limit=_float_env("LAKEOPT_TASK_TIME_LIMIT", 900.0),
        jdbc_statement_timeout=_float_env("LAKEOPT_JDBC_TIMEOUT", 60.0),
        lease_seconds=_float_env("LAKEOPT_LEASE_SECONDS", 30.0),
        sweep_interval=_float_env("LAKEOPT_SWEEP_INTERVAL", 10.0),
        max_attempts=max(1, int(_float_env("LAKEOPT_TASK_MAX_ATTEMPTS", 3))),
        redis_reconnect_max=_float_env("LAKEOPT_REDIS_RECONNECT_MAX", 30.0),
        home=home,
        what_if=os.environ.get("LAKEOPT_WHAT_IF", "1") != "0",
        auth_required=_auth_required(),
    )


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()
