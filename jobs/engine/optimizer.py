"""``optimize``: workload in, plan out. Pure and deterministic: no I/O, no LLM, no clock.

Order: read the DDL (the only step that may raise), requalify every query into the baseline
plan, build the workload model, apply :data:`jobs.engine.rules.RULES` in order, then validate.
Anything a rule produced that fails validation is reverted to the baseline, per table and per
query; if the plan is still invalid the whole baseline is returned.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from sqlglot import exp

from jobs.contract.profile import DatabaseProfile
from jobs.contract.result import PlanResult, TaskReport
from jobs.contract.workload import Workload, staleness_seconds
from jobs.engine.baseline import baseline_plan
from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.requalify import ParsedQuery, parse_query, requalified_trees
from jobs.engine.model.source_ddl import read_source_tables, session_namespace
from jobs.engine.model.workload_model import build_model
from jobs.engine.plan import OptimizedPlan, Plan
from jobs.engine.postgres_ddl import render_plan as render
from jobs.engine.rules import RULES, Rule
from jobs.engine.rules.engines import rules_for
from jobs.engine.validate import find_problems
from jobs.engine.views import explain_views, refresh_statements
from jobs.sql.dialect import dialect_of_url

#: Objects allocated between young-generation collections while the rules run (CPython's default: 700).
YOUNG_GENERATION = 50_000


def _revert(plan: Plan, baseline: Plan, workload: Workload, trees: dict[str, exp.Expr]) -> tuple[Plan, list[str]]:
    """Revert every table and query the validator objects to back to its baseline form."""
    problems = find_problems(workload, render(plan), trees)
    if not problems:
        return plan, []
    warnings = [f"reverted to the baseline: {p}" for p in problems]
    bad_queries = {p.item for p in problems if p.section == "queries"}
    offset = len(plan.schemas)
    bad_tables = set()
    for p in problems:
        if p.section in ("ddl", "migrations") and p.item.isdigit():
            index = int(p.item) - (offset if p.section == "ddl" else 0)
            if 0 <= index < len(plan.tables):
                bad_tables.add(plan.tables[index].key)
    baseline_tables = {t.key: t for t in baseline.tables}
    tables = []
    for table in plan.tables:
        if table.key not in bad_tables:
            tables.append(table)
        elif table.key in baseline_tables:
            tables.append(baseline_tables[table.key])
    kept = {t.key for t in tables}
    baseline_queries = {q.queryid: q for q in baseline.queries}
    queries = []
    for query in plan.queries:
        derived = [t for t in plan.tables if t.kind != "copy" and t.key not in kept]
        reads_dropped = any(t.qualified in query.text for t in derived) and query.rule is not None
        queries.append(baseline_queries[query.queryid] if query.queryid in bad_queries or reads_dropped else query)
    return replace(plan, tables=tuple(tables), queries=tuple(queries)), warnings


def _report(plan: Plan, parsed: list[ParsedQuery], warnings: list[str], profile: DatabaseProfile | None) -> TaskReport:
    notes = {q.queryid: "; ".join(dict.fromkeys(q.notes)) for q in parsed if q.notes}
    view_cards = explain_views(plan, profile)
    return TaskReport(
        warnings=[*plan.warnings, *warnings],
        query_notes=notes,
        recommendations=[*plan.recommendations, *(c.summary for c in view_cards)],
        recommendation_details=[*plan.cards, *view_cards],
        refresh=refresh_statements(plan),
    )


def _read(workload: Workload) -> tuple[Namespaces, list[ParsedQuery]]:
    """The source tables' namespaces and every query parsed and requalified against them."""
    namespaces = Namespaces(read_source_tables(workload), session_namespace(workload.url), dialect_of_url(workload.url))
    return namespaces, [parse_query(q.queryid, q.query, namespaces) for q in workload.queries]


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Until the block ends: every object alive now left out of the collector's passes, and a
    young generation large enough for the rules' and the validator's short-lived trees to die in
    (rather than be promoted and rescanned). Process-wide, restored on exit."""
    gc.freeze()
    before = gc.get_threshold()
    young = max(before[0], YOUNG_GENERATION)
    gc.set_threshold(young, before[1], before[2])
    try:
        yield
    finally:
        if gc.get_threshold()[0] == young:  # not already restored by a concurrent plan
            gc.set_threshold(*before)
        gc.unfreeze()


def optimize(
    workload: Workload, profile: DatabaseProfile | None = None, rules: Sequence[Rule] = RULES
) -> OptimizedPlan:
    """Plan ``workload`` with ``rules``, in order; raises :class:`jobs.engine.PlanningError` only for
    unreadable DDL.

    >>> from jobs.contract.workload import parse_workload
    >>> plan = optimize(parse_workload({"ddl": [{"statement": "CREATE TABLE c.s.t (a int);"}],
    ...                                 "queries": [{"queryid": "q1", "query": "SELECT a FROM t;"}]}))
    >>> [s.statement for s in plan.result.ddl]
    ['CREATE SCHEMA c.s_opt', "CREATE TABLE c.s_opt.t (a INTEGER) WITH (format = 'ORC')"]
    >>> plan.result.migrations[0].statement
    'INSERT INTO c.s_opt.t (a) SELECT a FROM c.s.t'
    >>> plan.result.queries[0].query
    'SELECT a FROM c.s_opt.t'
    """
    # The query trees are hundreds of thousands of long-lived objects and parsing leaves almost no
    # garbage, yet each full collection rescanned them all: garbage collection cost about half of
    # the planning time. So parse with the collector paused, then spare it the trees. A
    # concurrent plan can only lose the speed-up.
    enabled = gc.isenabled()
    gc.disable()
    try:
        namespaces, parsed = _read(workload)
        # Frozen before the collector is back on: else its first pass scans every new tree once.
        with _collector_spared():
            if enabled:
                gc.enable()
            return _plan(workload, profile, namespaces, parsed, rules)
    finally:
        if enabled:
            gc.enable()


def _plan(
    workload: Workload,
    profile: DatabaseProfile | None,
    namespaces: Namespaces,
    parsed: list[ParsedQuery],
    rules: Sequence[Rule],
) -> OptimizedPlan:
    staleness = staleness_seconds(workload.max_staleness)
    baseline = replace(baseline_plan(namespaces, parsed), max_staleness_seconds=staleness)
    model = build_model(workload, parsed, namespaces, profile)
    plan = baseline
    warnings: list[str] = []
    for rule in rules_for(rules, namespaces.dialect):
        try:
            plan = rule(model, plan)
        except Exception as exc:  # a rule bug must cost its improvement, never the task
            warnings.append(f"rule {getattr(rule, '__name__', rule)} failed and was skipped: {exc!r}"[:300])
    # The rules are done with the query trees: the validator takes them, requalified, for the
    # baseline texts (and the rules' parses of their own texts) instead of parsing again.
    trees = {**model.parsed_texts, **requalified_trees(parsed, namespaces)}
    plan, reverted = _revert(plan, baseline, workload, trees)
    warnings.extend(reverted)
    if reverted and find_problems(workload, render(plan), trees):
        warnings.append("the optimized plan failed validation: returning the baseline plan")
        plan = baseline
    return OptimizedPlan(result=render(plan), report=_report(plan, parsed, warnings, profile), plan=plan)


def baseline_result(workload: Workload) -> PlanResult:
    """The baseline plan alone (1:1 copies, requalified queries): the fallback for any rewrite
    that a verification found returning different rows."""
    return render(baseline_plan(*_read(workload)))
