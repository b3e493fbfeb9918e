"""An independent check of the contract's hard rules on a result, used by the service tests.

Deliberately separate from ``jobs.engine.validate`` so the tests do not grade the engine with
its own ruler.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp


def _tables(statement: exp.Expression) -> list[exp.Table]:
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    return [t for t in statement.find_all(exp.Table) if not (not t.db and t.name.lower() in ctes)]


def contract_problems(workload: dict[str, Any], result: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    source = set()
    for ddl in workload["ddl"]:
        table = sqlglot.parse_one(ddl["statement"].strip().rstrip(";"), read="trino").find(exp.Table)
        assert table is not None
        source.add((table.catalog.lower(), table.db.lower()))
    catalogs = {catalog for catalog, _ in source}

    ddl = [s["statement"] for s in result["ddl"]]
    first = sqlglot.parse_one(ddl[0], read="trino")
    if not (isinstance(first, exp.Create) and first.kind == "SCHEMA"):
        problems.append(f"first DDL statement is not CREATE SCHEMA: {ddl[0][:80]}")
        return problems
    schema_node = first.this
    new_catalog = (schema_node.catalog or schema_node.db).lower()
    new_schema = schema_node.name.lower() if schema_node.catalog else schema_node.db.lower() or schema_node.name.lower()
    if new_catalog not in catalogs:
        problems.append(f"new schema {new_catalog}.{new_schema} is not in a source catalog {sorted(catalogs)}")
    if (new_catalog, new_schema) in source:
        problems.append("the new schema is a source schema")
    new_schemas = {
        (s.this.catalog or s.this.db).lower() + "." + (s.this.db if s.this.catalog else s.this.name).lower()
        for s in (sqlglot.parse_one(t, read="trino") for t in ddl)
        if isinstance(s, exp.Create) and s.kind == "SCHEMA"
    }

    for kind, statements in (("ddl", ddl[1:]), ("migrations", [s["statement"] for s in result["migrations"]])):
        for index, text in enumerate(statements):
            parsed = sqlglot.parse_one(text, read="trino")
            for table in _tables(parsed):
                if not (table.catalog and table.db):
                    problems.append(f"{kind}[{index}]: {table.sql('trino')} is not fully qualified")
            target = parsed.this if isinstance(parsed, exp.Create | exp.Insert) else None
            if isinstance(target, exp.Schema):
                target = target.this
            if isinstance(target, exp.Table) and f"{target.catalog}.{target.db}".lower() not in new_schemas:
                problems.append(f"{kind}[{index}] writes outside the new schema: {target.sql('trino')}")

    ids = [q["queryid"] for q in result["queries"]]
    wanted = [q["queryid"] for q in workload["queries"]]
    if sorted(ids) != sorted(wanted) or len(set(ids)) != len(ids):
        problems.append("queryids differ from the input's, or repeat")
    for query in result["queries"]:
        try:
            parsed = sqlglot.parse_one(query["query"], read="trino")
        except sqlglot.errors.ParseError:
            continue  # passed through unparsable: reported, not dropped
        for table in _tables(parsed):
            name = f"{table.catalog}.{table.db}".lower()
            if not (table.catalog and table.db):
                problems.append(f"query {query['queryid']}: {table.sql('trino')} is not fully qualified")
            elif name not in new_schemas:
                problems.append(f"query {query['queryid']} reads {table.sql('trino')} outside the new schema")
    return problems
