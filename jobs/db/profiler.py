"""Collecting a :class:`DatabaseProfile` of the user's database for one workload.

For every table named in the DDL: row count, per-column statistics and stored size; for every
query: the database's EXPLAIN estimate. Nothing here raises for a database problem: a bad URL,
a refused login, a dead host or a slow server become ``warnings`` (redacted), and the task goes
on from DDL and workload alone. Per-table and per-query failures are warnings too.
"""

from __future__ import annotations

import asyncio
import logging
import time

from jobs.contract.profile import DatabaseProfile
from jobs.contract.progress import Progress
from jobs.contract.workload import Workload
from jobs.db.profile_postgres import collect_postgres
from jobs.db.profile_run import ProfileRun, ddl_tables
from jobs.db.profile_trino import collect_trino
from jobs.settings import Settings
from jobs.sql.jdbc_url import JdbcUrlError, parse_jdbc_url

log = logging.getLogger(__name__)


def profile_budget(settings: Settings) -> float:
    """Seconds the whole profile may take: a third of the task's limit, at most 5 minutes."""
    return max(10.0, min(300.0, settings.task_time_limit / 3))


def collect_profile(
    url: str,
    workload: Workload,
    settings: Settings,
    *,
    on_progress: Progress | None = None,
    budget_seconds: float | None = None,
) -> DatabaseProfile:
    """Profile the database at ``url`` for ``workload`` (blocking; never raises for a database problem)."""
    try:
        parsed = parse_jdbc_url(url)
    except JdbcUrlError as exc:
        return DatabaseProfile(
            warnings=[f"the JDBC URL cannot be used ({exc}); planned from the DDL and workload alone"]
        )
    profile = DatabaseProfile(engine=parsed.engine)
    tables = ddl_tables(workload, parsed.engine)
    budget = profile_budget(settings) if budget_seconds is None else budget_seconds
    run = ProfileRun(
        url=parsed,
        workload=workload,
        settings=settings,
        profile=profile,
        on_progress=on_progress,
        deadline=time.monotonic() + budget,
        total_steps=1 + len(tables) + len(workload.queries),
    )
    started = time.monotonic()
    try:
        if parsed.engine == "trino":
            collect_trino(run, tables)
        else:
            collect_postgres(run, tables)
    except Exception as exc:  # the profile is optional: whatever went wrong, the task goes on
        log.debug("profile failed", exc_info=True)
        run.warn(f"profiling {parsed.redacted()} failed: {type(exc).__name__}: {exc}")
    if run.stopped:
        run.warn(
            f"the database profile stopped after its {budget:.0f}s budget; not profiled: "
            + ", ".join(run.skipped[:20])
            + (f" and {len(run.skipped) - 20} more" if len(run.skipped) > 20 else "")
        )
    log.info(
        "profiled %s: %d tables, %d explains, %d warnings in %.1fs",
        parsed.redacted(),
        len(profile.tables),
        len(profile.explains),
        len(profile.warnings),
        time.monotonic() - started,
    )
    return profile


async def collect_profile_async(
    url: str,
    workload: Workload,
    settings: Settings,
    *,
    on_progress: Progress | None = None,
    budget_seconds: float | None = None,
) -> DatabaseProfile:
    """:func:`collect_profile` in a worker thread (``on_progress`` is called from that thread)."""
    return await asyncio.to_thread(
        collect_profile, url, workload, settings, on_progress=on_progress, budget_seconds=budget_seconds
    )
