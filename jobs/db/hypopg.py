"""What-if index costs on PostgreSQL with hypopg: each query's planner cost with and without
each of the engine's index candidates (:func:`jobs.engine.rules.pg_index_candidates.index_candidates`).

Hypothetical indexes live in the session's memory only: nothing is written, the connection stays
read-only, and the read-only guard lets through exactly the three hypopg calls made here
(:data:`jobs.db.guard.HYPOPG_CALLS`). Without the extension the profile says so and the engine
chooses indexes by rules.
"""

from __future__ import annotations

import contextlib
import json

from jobs.contract.profile import IndexCosts
from jobs.db.connection import JdbcError, ReadOnlyConnection
from jobs.db.profile_run import ProfileRun, finite
from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.requalify import parse_query
from jobs.engine.model.source_ddl import read_source_tables, session_namespace
from jobs.engine.model.workload_model import build_model
from jobs.engine.rules.pg_index_candidates import Candidate, hypothetical_sql, index_candidates
from jobs.sql.dialect import POSTGRES
from jobs.sql.quoting import quote_literal


def plan_cost(connection: ReadOnlyConnection, sql: str) -> float | None:
    """The planner's total cost of ``sql`` (``EXPLAIN (FORMAT JSON)``; hypothetical indexes count)."""
    try:
        text = str(connection.query(f"EXPLAIN (FORMAT JSON) {sql}").rows[0][0])
        return finite(json.loads(text)[0]["Plan"]["Total Cost"])
    except (JdbcError, ValueError, LookupError, TypeError):
        return None


def candidates_of(run: ProfileRun) -> list[Candidate]:
    """The engine's candidates for the workload, from the statistics profiled so far."""
    workload = run.workload
    namespaces = Namespaces(read_source_tables(workload), session_namespace(workload.url), POSTGRES)
    parsed = [parse_query(q.queryid, q.query, namespaces) for q in workload.queries]
    return index_candidates(build_model(workload, parsed, namespaces, run.profile))


def collect_index_costs(connection: ReadOnlyConnection, run: ProfileRun) -> IndexCosts | None:
    """Cost every candidate on ``connection`` (the source tables' database), or None without hypopg."""
    try:
        # Filtered here: the guard refuses any other statement that names hypopg.
        installed = [
            r for r in connection.query("SELECT extname FROM pg_catalog.pg_extension").rows if r[0] == "hypopg"
        ]
    except JdbcError as exc:
        run.warn(f"cannot check for the hypopg extension ({exc}): indexes chosen by rules")
        return None
    if not installed:
        run.warn(
            "the hypopg extension is not installed in the database: indexes chosen by rules, without what-if costs"
        )
        return None
    candidates = candidates_of(run)
    texts = {q.queryid: q.query for q in run.workload.queries}
    costs = IndexCosts()
    wanted = sorted({q for c in candidates for q in c.queryids})
    for queryid in wanted:
        cost = plan_cost(connection, texts[queryid])
        if cost is not None:
            costs.base[queryid] = cost
    for candidate in candidates:
        if run.out_of_time(f"what-if cost of {candidate.key}"):
            break
        try:
            oid = connection.query(
                f"SELECT indexrelid FROM hypopg_create_index({quote_literal(hypothetical_sql(candidate.index))})"
            ).rows[0][0]
            size = connection.query(f"SELECT hypopg_relation_size({int(oid)})").rows[0][0]
            per_query = {}
            for queryid in sorted(candidate.queryids & costs.base.keys()):
                cost = plan_cost(connection, texts[queryid])
                if cost is not None:
                    per_query[queryid] = cost
            costs.costs[candidate.key] = per_query
            costs.sizes[candidate.key] = int(size)
        except JdbcError as exc:
            run.warn(f"what-if cost of {candidate.key} failed: {exc}")
        finally:
            # On failure the session's hypothetical indexes end with the connection.
            with contextlib.suppress(JdbcError):
                connection.query("SELECT hypopg_reset()")
    return costs
