"""What the queries say about the data: join pairs and the literals columns are compared with.

The generator uses these so that joins match and filters select rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

log = logging.getLogger(__name__)

#: ``(catalog.schema.table, column)``, lower case.
ColumnRef = tuple[str, str]


@dataclass
class QueryFacts:
    #: Equality join pairs between columns of two base tables (or two columns of one table).
    join_pairs: set[frozenset[ColumnRef]] = field(default_factory=set)
    #: Column name -> string literals it is compared with (``=``, ``IN``, ``LIKE`` prefix).
    strings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: Column name -> numeric literals it is compared with.
    numbers: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))
    #: Column name -> numbers it is compared with for equality (``=``/``IN``), for small codes.
    equal_numbers: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))
    #: Every date/timestamp literal of the workload (date ranges should cover them).
    dates: set[dt.date] = field(default_factory=set)
    #: Column names the queries group by (directly, by position, or as a window partition).
    group_keys: set[str] = field(default_factory=set)


def table_name(table: exp.Table) -> str:
    return ".".join(part.name.lower() for part in table.parts)


def _resolve(column: exp.Column, scope: Scope) -> ColumnRef | None:
    """The base table column ``column`` reads, when it reads a base table directly."""
    tables = {alias: source for alias, source in scope.sources.items() if isinstance(source, exp.Table)}
    qualifier = column.table.lower()
    if qualifier:
        source = next((s for alias, s in tables.items() if alias.lower() == qualifier), None)
    else:
        source = next(iter(tables.values())) if len(scope.sources) == 1 and tables else None
    if source is None:
        return None
    return table_name(source), column.name.lower()


def _literal_date(node: exp.Expr) -> dt.date | None:
    if isinstance(node, exp.Cast) and node.to.is_type("date", "timestamp", "timestamptz"):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return dt.date.fromisoformat(node.this[:10])
        except ValueError:
            return None
    return None


def _record_literal(facts: QueryFacts, column: exp.Column, value: exp.Expr, *, equality: bool) -> None:
    name = column.name.lower()
    day = _literal_date(value)
    if day is not None:
        facts.dates.add(day)
        return
    if isinstance(value, exp.Neg) and isinstance(value.this, exp.Literal):
        value = exp.Literal.number(f"-{value.this.this}")
    if not isinstance(value, exp.Literal):
        return
    if value.is_string:
        text = value.this
        if isinstance(column.parent, exp.Like):
            text = text.split("%")[0].split("_")[0]
        if text:
            facts.strings[name].add(text)
    else:
        try:
            number = float(value.this)
        except ValueError:
            return
        facts.numbers[name].add(number)
        if equality:
            facts.equal_numbers[name].add(number)


def _collect_comparisons(facts: QueryFacts, scope: Scope) -> None:
    for node in scope.expression.find_all(exp.Predicate):
        if isinstance(node, exp.In):
            if isinstance(node.this, exp.Column):
                for value in node.expressions:
                    _record_literal(facts, node.this, value, equality=True)
            continue
        if isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
            for bound in (node.args.get("low"), node.args.get("high")):
                if bound is not None:
                    _record_literal(facts, node.this, bound, equality=False)
            continue
        if not isinstance(node, exp.Binary):
            continue
        left, right = node.left, node.right
        if isinstance(node, exp.EQ) and isinstance(left, exp.Column) and isinstance(right, exp.Column):
            a, b = _resolve(left, scope), _resolve(right, scope)
            if a is not None and b is not None and a != b:
                facts.join_pairs.add(frozenset((a, b)))
            continue
        equality = isinstance(node, exp.EQ | exp.NEQ | exp.Like)
        if isinstance(left, exp.Column):
            _record_literal(facts, left, right, equality=equality)
        elif isinstance(right, exp.Column):
            _record_literal(facts, right, left, equality=equality)


def _collect_group_keys(facts: QueryFacts, scope: Scope) -> None:
    select = scope.expression
    group = select.args.get("group") if isinstance(select, exp.Select) else None
    keys: list[exp.Expr] = list(group.expressions) if group else []
    outputs = select.expressions if isinstance(select, exp.Select) else []
    for index, key in enumerate(keys):
        if isinstance(key, exp.Literal) and key.is_int and 0 < int(key.this) <= len(outputs):
            keys[index] = outputs[int(key.this) - 1].unalias()
    for window in select.find_all(exp.Window):
        keys.extend(window.args.get("partition_by") or [])
    for key in keys:
        facts.group_keys.update(column.name.lower() for column in key.find_all(exp.Column))


def collect_query_facts(queries: list[str], dialect: str = "trino") -> QueryFacts:
    """Join pairs and literals of all ``queries`` (unparsable ones are skipped with a log line).

    >>> facts = collect_query_facts(["SELECT 1 FROM c.s.a x JOIN c.s.b y ON x.id = y.a_id WHERE y.kind = 'big'"])
    >>> sorted(sorted(pair) for pair in facts.join_pairs), dict(facts.strings)
    ([[('c.s.a', 'id'), ('c.s.b', 'a_id')]], {'kind': {'big'}})
    >>> sorted(collect_query_facts(["SELECT upper(k), v, count(*) FROM t GROUP BY 1, 2"]).group_keys)
    ['k', 'v']
    """
    facts = QueryFacts()
    for sql in queries:
        try:
            tree = sqlglot.parse_one(sql, dialect=dialect)
        except SqlglotError as exc:
            log.info("skipping a query the generator cannot parse: %s", exc)
            continue
        try:
            scopes = traverse_scope(tree)
        except SqlglotError as exc:  # e.g. ambiguous CTE names
            log.info("skipping a query whose scopes cannot be resolved: %s", exc)
            continue
        for scope in scopes:
            _collect_comparisons(facts, scope)
            _collect_group_keys(facts, scope)
    return facts
