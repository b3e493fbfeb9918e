"""A real equivalence checker for tests: both queries run on the same seeded data in SQLite.

Source tables are created from the workload's DDL and filled with seeded rows (small value
ranges, so filters, joins and groups hit real collisions); the new schema is filled by running
the plan's own DDL and migrations. Queries are transpiled Trino -> SQLite by sqlglot, with each
``catalog.schema.table`` flattened to one SQLite table name.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from typing import Any

import sqlglot
from sqlglot import exp

from jobs.contract.result import PlanResult
from jobs.contract.workload import Workload

_WORDS = ("alpha", "beta", "gamma", "delta", "paid", "open", "north", "south")


def _flatten(sql: str) -> str:
    """``sql`` (Trino) as SQLite, every three-part table name flattened."""
    ast = sqlglot.parse_one(sql, read="trino")
    for table in list(ast.find_all(exp.Table)):
        parts = [p.name.lower() for p in table.parts]
        if len(parts) == 3:
            flat = exp.to_table("__".join(parts))
            if table.alias:
                flat.set("alias", table.args["alias"])
            elif not isinstance(table.parent, exp.Schema | exp.Insert | exp.Create):
                # Keep ``t.col`` references working after the rename.
                flat.set("alias", exp.TableAlias(this=exp.to_identifier(parts[2])))
            table.replace(flat)
    return ast.sql("sqlite")


def _value(type_sql: str, rng: random.Random) -> Any:
    kind = type_sql.upper()
    if rng.random() < 0.05:
        return None
    if "INT" in kind:
        return rng.randint(1, 12)
    if "DOUBLE" in kind or "DECIMAL" in kind or "REAL" in kind:
        return round(rng.uniform(0, 100), 2)
    if "DATE" in kind:
        return f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    return rng.choice(_WORDS)


def _normal(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def _ordered(sql: str) -> bool:
    return sqlglot.parse_one(sql, read="trino").args.get("order") is not None


class SqliteEquivalenceChecker:
    def __init__(self, workload: Workload, plan: PlanResult, *, rows: int = 300, seed: int = 7) -> None:
        self.connection = sqlite3.connect(":memory:", check_same_thread=False)
        self.calls: list[tuple[str, str]] = []
        rng = random.Random(seed)
        for statement in workload.ddl:
            create = sqlglot.parse_one(statement.statement, read="trino")
            assert isinstance(create, exp.Create) and isinstance(create.this, exp.Schema)
            columns = [c for c in create.this.expressions if isinstance(c, exp.ColumnDef)]
            self.connection.execute(_flatten(statement.statement))
            name = "__".join(p.name.lower() for p in create.this.this.parts)
            values = [tuple(_value(c.args["kind"].sql("trino"), rng) for c in columns) for _ in range(rows)]
            marks = ", ".join("?" for _ in columns)
            self.connection.executemany(f"INSERT INTO {name} VALUES ({marks})", values)
        for ddl in plan.ddl:
            created = sqlglot.parse_one(ddl.statement, read="trino")
            if isinstance(created, exp.Create) and created.kind == "TABLE":
                self.connection.execute(_flatten(ddl.statement))
        for migration in plan.migrations:
            self.connection.execute(_flatten(migration.statement))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [_normal(r) for r in self.connection.execute(_flatten(sql)).fetchall()]

    def compare(self, original_sql: str, rewritten_sql: str) -> tuple[bool, str]:
        before, after = self.rows(original_sql), self.rows(rewritten_sql)
        same = before == after if _ordered(original_sql) else Counter(before) == Counter(after)
        if same:
            return True, f"{len(before)} rows match"
        missing = Counter(before) - Counter(after)
        return False, f"original returned {len(before)} rows, rewrite {len(after)}; e.g. {next(iter(missing), None)}"

    async def check(self, original_sql: str, rewritten_sql: str) -> tuple[bool, str]:
        self.calls.append((original_sql, rewritten_sql))
        return await asyncio.to_thread(self.compare, original_sql, rewritten_sql)

    def close(self) -> None:
        self.connection.close()
