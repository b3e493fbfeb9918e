"""The messages sent to the LLM: a rewrite request per query, and the plan explanation request.

Context is trimmed to what the query reads (its tables' DDL and statistics, its EXPLAIN) and
capped in size, so one huge workload cannot blow a model's context window.
"""

from __future__ import annotations

import sqlglot
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.contract.profile import DatabaseProfile
from jobs.contract.result import PlanResult, TaskReport
from jobs.contract.workload import WorkloadQuery
from jobs.llm.gate import NewSchema, TableKey

#: Caps (characters) on each piece of context.
MAX_DDL_CHARS = 12_000
MAX_EXPLAIN_CHARS = 4_000
MAX_OTHER_TABLES_CHARS = 4_000
MAX_RECOMMENDATION_LINES = 30

REWRITE_SYSTEM = """You rewrite analytical SQL queries for Trino to run faster on a new, optimized schema.
Rules:
- Answer with one JSON object only: {"sql": "<the rewritten query>", "rationale": "<one or two sentences>"}.
- "sql" is exactly one Trino SELECT (or WITH ... SELECT) query. No INSERT, DELETE, DDL, or comments.
- Read only the tables listed in the new schema, always fully qualified as catalog.schema.table.
- Use only the columns those tables declare.
- The result must be identical to the original query's: same columns in the same order, the same rows
  (duplicates included), the same ORDER BY and LIMIT semantics.
- If you cannot make it faster without changing the result, return the current query unchanged."""

EXPLAIN_SYSTEM = """You explain a database optimization plan to the engineers who will apply it.
Write concise Markdown: what changes (new tables, layouts), why it speeds up the workload, how to apply
it (run the DDL, then the migrations, then switch the queries), and the risks or follow-ups.
Do not invent numbers that are not in the plan."""


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "\n... (truncated)"


def referenced_tables(sql: str, schema: NewSchema) -> list[TableKey]:
    """The new-schema tables ``sql`` reads, in text order (empty when it does not parse)."""
    try:
        ast = sqlglot.parse_one(sql, read=schema.dialect)
    except SqlglotError:
        return []
    found: dict[TableKey, None] = {}
    for table in ast.find_all(exp.Table):
        parts = tuple(p.name.lower() for p in table.parts)
        if len(parts) == 3 and (parts[0], parts[1], parts[2]) in schema.tables:
            found[(parts[0], parts[1], parts[2])] = None
    return list(found)


def _ddl_for(tables: list[TableKey], plan: PlanResult) -> str:
    wanted = {".".join(t) for t in tables}
    chosen = []
    for statement in plan.ddl:
        text = statement.statement
        lowered = text.lower().replace('"', "")
        if not wanted or any(name in lowered for name in wanted):
            chosen.append(text + ";")
    return _truncate("\n".join(chosen), MAX_DDL_CHARS)


def _other_tables(tables: list[TableKey], schema: NewSchema) -> str:
    """The new tables the query does not read yet, with their columns (it may read them instead)."""
    lines = [f"- {'.'.join(key)}({', '.join(columns)})" for key, columns in schema.tables.items() if key not in tables]
    return _truncate("\n".join(lines), MAX_OTHER_TABLES_CHARS)


def _statistics(tables: list[TableKey], profile: DatabaseProfile | None) -> str:
    if profile is None:
        return ""
    lines = []
    names = {t[2] for t in tables}
    for table in profile.tables.values():
        if table.name.rsplit(".", 1)[-1] not in names:
            continue
        columns = ", ".join(
            f"{c.name}(ndv={c.distinct_values:.0f})" for c in table.columns.values() if c.distinct_values is not None
        )
        lines.append(f"- source {table.name}: rows={table.row_count}; {columns}")
    return "\n".join(lines)


def rewrite_messages(
    query: WorkloadQuery,
    current_sql: str,
    plan: PlanResult,
    report: TaskReport,
    schema: NewSchema,
    profile: DatabaseProfile | None,
) -> list[BaseMessage]:
    """System + user message asking for a faster equivalent of ``query`` on the new schema."""
    tables = referenced_tables(current_sql, schema)
    sections = [
        f"Query id: {query.queryid} (runs {query.runquantity} times, {query.executiontime} s each)",
        f"Original query (old schema):\n{query.query}",
        f"Current rewrite (new schema, returns the same rows):\n{current_sql}",
        f"New schema DDL of the tables it reads:\n{_ddl_for(tables, plan)}",
    ]
    others = _other_tables(tables, schema) if tables else ""
    if others:
        sections.append(f"Other tables of the new schema (columns):\n{others}")
    statistics = _statistics(tables, profile)
    if statistics:
        sections.append(f"Statistics:\n{statistics}")
    explain = profile.explains.get(query.queryid) if profile else None
    if explain is not None and explain.plan:
        sections.append(f"EXPLAIN of the original query:\n{_truncate(explain.plan, MAX_EXPLAIN_CHARS)}")
    if report.recommendations:
        sections.append("Plan decisions:\n" + "\n".join(report.recommendations[:MAX_RECOMMENDATION_LINES]))
    sections.append('Answer with the JSON object {"sql": ..., "rationale": ...} only.')
    system = REWRITE_SYSTEM.replace("Trino", schema.engine_name)
    return [SystemMessage(content=system), HumanMessage(content="\n\n".join(sections))]


def explanation_messages(plan: PlanResult, report: TaskReport, accepted: list[str]) -> list[BaseMessage]:
    """System + user message asking for a Markdown explanation of the plan."""
    sections = [
        f"DDL ({len(plan.ddl)} statements):\n{_truncate(chr(10).join(s.statement for s in plan.ddl), MAX_DDL_CHARS)}",
        f"Migrations: {len(plan.migrations)} INSERT ... SELECT statements copying the data.",
        f"Queries: {len(plan.queries)} rewritten to read the new schema.",
    ]
    if report.recommendations:
        sections.append("Decisions:\n" + "\n".join(report.recommendations[:MAX_RECOMMENDATION_LINES]))
    if report.warnings:
        sections.append("Warnings:\n" + "\n".join(report.warnings[:MAX_RECOMMENDATION_LINES]))
    if accepted:
        sections.append("Queries rewritten by the LLM and verified equivalent: " + ", ".join(accepted))
    return [SystemMessage(content=EXPLAIN_SYSTEM), HumanMessage(content="\n\n".join(sections))]
