"""The contract's hard rules, checked on a result: the engine runs this on its own output, and
``lakeopt verify`` runs it before touching a database.

:func:`validate_result` returns one line per problem; an empty list means the result is valid.
Queries that cannot be parsed were passed through on purpose and are exempt from the per-query
table checks (the engine reports them in ``TaskReport.query_notes``). Queries may read tables
the DDL does not declare (the engine notes those too), but never a declared source table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.contract.result import PlanResult
from jobs.contract.workload import Workload
from jobs.engine.errors import PlanningError
from jobs.engine.model.requalify import table_references
from jobs.engine.model.source_ddl import read_source_tables
from jobs.sql.dialect import POSTGRES, dialect, dialect_of_url
from jobs.sql.statements import (
    WRITE_STATEMENTS,
    created_object,
    filled_object,
    is_materialized_view,
    is_refresh,
    parse_statement,
    table_key,
)


@dataclass(frozen=True)
class Problem:
    """One broken rule; ``section`` is ddl/migrations/queries, ``item`` the index or queryid."""

    section: str
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.section}[{self.item}]: {self.message}" if self.item else f"{self.section}: {self.message}"


class _Checker:
    def __init__(self, workload: Workload) -> None:
        sources = read_source_tables(workload)
        self.read = dialect_of_url(workload.url)
        self.source_keys = {t.key for t in sources}
        self.source_schemas = {(t.catalog.lower(), t.schema.lower()) for t in sources}
        self.new_schemas: set[tuple[str, str]] = set()
        self.created: set[tuple[str, ...]] = set()
        self.views: set[tuple[str, ...]] = set()
        self.problems: list[Problem] = []

    def add(self, section: str, item: object, message: str) -> None:
        self.problems.append(Problem(section, str(item), message))

    def parse(self, section: str, item: object, text: str) -> exp.Expr | None:
        try:
            return parse_statement(text, self.read)
        except (SqlglotError, ValueError) as exc:
            name = "PostgreSQL" if self.read == POSTGRES else "Trino"
            self.add(section, item, f"does not parse as one {name} statement: {str(exc).splitlines()[0][:160]}")
            return None

    def qualified(self, section: str, item: object, statement: exp.Expr) -> None:
        for table in table_references(statement):
            if len(table_key(table)) != 3:
                self.add(
                    section, item, f"{table.sql(dialect(self.read))} is not fully qualified as catalog.schema.table"
                )

    def writes_new_schema(self, section: str, item: object, statement: exp.Expr, target: exp.Table | None) -> None:
        key = table_key(target) if target is not None else ()
        if target is None or len(key) != 3:
            self.add(section, item, "the written table is not fully qualified")
        elif key[:2] not in self.new_schemas:
            self.add(section, item, f"writes {'.'.join(key)}, outside the new schema")
        else:
            self.created.add(key)

    def schema(self, index: int, statement: exp.Create) -> None:
        node = statement.this
        catalogs = sorted({c for c, _ in self.source_schemas})
        if self.read == POSTGRES and isinstance(node, exp.Table) and node.db and not node.catalog and not node.name:
            # PostgreSQL names a schema with one part: it is created in the connection's database.
            if len(catalogs) != 1:
                self.add("ddl", index, "the source tables are in several PostgreSQL databases")
                return
            node = exp.Table(db=node.args["db"], catalog=exp.to_identifier(catalogs[0]))
        if not (isinstance(node, exp.Table) and node.catalog and node.db and not node.name):
            self.add("ddl", index, "CREATE SCHEMA must name catalog.schema")
            return
        namespace = (node.catalog.lower(), node.db.lower())
        if namespace in self.source_schemas:
            self.add("ddl", index, f"creates {'.'.join(namespace)}, which is a source schema")
        elif namespace[0] not in {c for c, _ in self.source_schemas}:
            self.add("ddl", index, f"creates {'.'.join(namespace)}, outside the source catalogs")
        else:
            self.new_schemas.add(namespace)

    def ddl(self, result: PlanResult) -> None:
        for index, item in enumerate(result.ddl):
            statement = self.parse("ddl", index, item.statement)
            if statement is None:
                continue
            if isinstance(statement, exp.Create) and statement.kind == "SCHEMA":
                self.schema(index, statement)
                continue
            if index == 0:
                self.add("ddl", 0, "the first DDL statement must be CREATE SCHEMA")
            if self.read == POSTGRES and isinstance(statement, exp.Create) and statement.kind == "INDEX":
                self.index(index, statement)
                continue
            target = created_object(statement)
            if target is None:
                self.add("ddl", index, "only CREATE SCHEMA, CREATE TABLE and CREATE MATERIALIZED VIEW belong in ddl")
                continue
            self.writes_new_schema("ddl", index, statement, target)
            self.qualified("ddl", index, statement)
            if is_materialized_view(statement):
                self.view("ddl", index, statement, table_key(target))

    def view(self, section: str, item: object, statement: exp.Expr, key: tuple[str, ...]) -> None:
        """A view reads the new schema's copies, never a source table (loads land in the copies)."""
        self.views.add(key)
        for table in table_references(statement):
            read = table_key(table)
            if read != key and read[:2] not in self.new_schemas:
                self.add(section, item, f"the materialized view reads {'.'.join(read)}, outside the new schema")

    def index(self, index: int, statement: exp.Create) -> None:
        """A PostgreSQL index must be on a table this plan created (it then lives in the new schema)."""
        node = statement.this
        table = node.args.get("table") if isinstance(node, exp.Index) else None
        key = table_key(table) if isinstance(table, exp.Table) else ()
        if key not in self.created:
            self.add("ddl", index, f"indexes {'.'.join(key) or 'no table'}, which is not a table of the new schema")

    def migrations(self, result: PlanResult) -> None:
        for index, item in enumerate(result.migrations):
            statement = self.parse("migrations", index, item.statement)
            if statement is None:
                continue
            if self.read == POSTGRES and isinstance(statement, exp.Analyze):
                analyzed = [table_key(t) for t in statement.args.get("tables") or [] if isinstance(t, exp.Table)]
                if not analyzed or any(key not in self.created for key in analyzed):
                    self.add("migrations", index, "ANALYZE must name tables of the new schema")
                continue
            if not isinstance(statement, exp.Insert) and not is_refresh(statement):
                self.add("migrations", index, "a migration must be INSERT INTO a new table or REFRESH a new view")
                continue
            target = filled_object(statement)
            if is_refresh(statement) and target is not None and table_key(target) not in self.views:
                self.add("migrations", index, f"refreshes {'.'.join(table_key(target))}, not a view the DDL creates")
                continue
            self.writes_new_schema("migrations", index, statement, target)
            self.qualified("migrations", index, statement)

    def queries(self, workload: Workload, result: PlanResult, parsed: Mapping[str, exp.Expr]) -> None:
        wanted = [q.queryid for q in workload.queries]
        got = [q.queryid for q in result.queries]
        for queryid in sorted(set(wanted) - set(got)):
            self.add("queries", queryid, "is missing")
        for queryid in sorted(set(got) - set(wanted)):
            self.add("queries", queryid, "is not an input query")
        for queryid in sorted(q for q, n in Counter(got).items() if n > 1):
            self.add("queries", queryid, "appears more than once")
        for query in result.queries:
            statement = parsed.get(query.query)
            if statement is None:
                try:
                    statement = parse_statement(query.query, self.read)
                except (SqlglotError, ValueError):
                    continue  # passed through on purpose; noted in the report
            if isinstance(statement, WRITE_STATEMENTS):
                self.add("queries", query.queryid, f"must not write ({type(statement).__name__.upper()})")
            for table in table_references(statement):
                key = table_key(table)
                if len(key) != 3:
                    self.add("queries", query.queryid, f"{table.sql(dialect(self.read))} is not fully qualified")
                elif key in self.source_keys:
                    self.add("queries", query.queryid, f"reads the source table {'.'.join(key)}")
                elif key[:2] in self.new_schemas and key not in self.created:
                    self.add("queries", query.queryid, f"reads {'.'.join(key)}, which the plan never creates")


def find_problems(
    workload: Workload, result: PlanResult, parsed: Mapping[str, exp.Expr] | None = None
) -> list[Problem]:
    """Like :func:`validate_result`, with each problem located.

    ``parsed`` holds trees the caller already parsed from exactly a query's text as one Trino
    statement (see :attr:`jobs.engine.model.workload_model.WorkloadModel.parsed_texts`): those texts
    are not parsed again.
    """
    try:
        checker = _Checker(workload)
    except PlanningError as exc:
        return [Problem("ddl", "", f"the workload's DDL cannot be read: {exc}")]
    if not result.ddl:
        return [Problem("ddl", "", "is empty: the first statement must be CREATE SCHEMA")]
    checker.ddl(result)
    checker.migrations(result)
    checker.queries(workload, result, parsed or {})
    return checker.problems


def validate_result(workload: Workload, result: PlanResult) -> list[str]:
    """Every way ``result`` breaks the contract's hard rules for ``workload`` (empty = valid).

    >>> from jobs.contract.workload import parse_workload
    >>> workload = parse_workload({"ddl": [{"statement": "CREATE TABLE c.s.t (a int)"}],
    ...                            "queries": [{"queryid": "q1", "query": "SELECT a FROM c.s.t"}]})
    >>> validate_result(workload, PlanResult.model_validate({
    ...     "ddl": [{"statement": "CREATE SCHEMA c.s_opt"}, {"statement": "CREATE TABLE c.s_opt.t (a int)"}],
    ...     "migrations": [{"statement": "INSERT INTO c.s_opt.t SELECT a FROM c.s.t"}],
    ...     "queries": [{"queryid": "q1", "query": "SELECT a FROM c.s.t"}, {"queryid": "q2", "query": "SELECT 1"}]}))
    ['queries[q2]: is not an input query', 'queries[q1]: reads the source table c.s.t']
    """
    return [str(problem) for problem in find_problems(workload, result)]
