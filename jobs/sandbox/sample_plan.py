"""Which rows of each source table a consistent sample keeps.

A sample that keeps joins: rows are chosen by a hash of the key the workload joins the table on,
and every table joined on that key uses the same hash and the same buckets, so a kept key is kept
on both sides. Tables of at most ``small_rows`` rows (dimensions, hubs, lookups) are copied whole.
A large table joined on several keys is bucketed on the key it shares with the most other large
tables; its joins to whole-copied tables match anyway.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from jobs.sandbox.query_facts import ColumnRef, QueryFacts
from jobs.sql.quoting import quote_name

#: Buckets of the hash: a sample fraction is kept to a millionth.
BUCKETS = 1_000_000


@dataclass(frozen=True)
class TableSample:
    table: str
    #: ``None``: the whole table.
    key: str | None
    fraction: float

    @property
    def whole(self) -> bool:
        return self.key is None

    def where(self) -> str:
        """The predicate that keeps the sample's rows (``TRUE`` for a whole table).

        >>> where = TableSample("c.s.t", "id", 0.1).where()
        >>> where[:60], where[-22:]
        ('MOD(BITWISE_AND(FROM_BIG_ENDIAN_64(XXHASH64(TO_UTF8(CAST(id ', '07), 1000000) < 100000')
        """
        if self.key is None:
            return "TRUE"
        hashed = f"FROM_BIG_ENDIAN_64(XXHASH64(TO_UTF8(CAST({quote_name(self.key)} AS VARCHAR))))"
        return f"MOD(BITWISE_AND({hashed}, 9223372036854775807), {BUCKETS}) < {round(self.fraction * BUCKETS)}"

    def describe(self) -> str:
        return "whole" if self.key is None else f"{self.fraction:.0%} sample by {self.key}"


def _join_classes(pairs: set[frozenset[ColumnRef]]) -> dict[ColumnRef, ColumnRef]:
    """Each joined column's class representative (columns equal through a chain of joins)."""
    parent: dict[ColumnRef, ColumnRef] = {}

    def find(ref: ColumnRef) -> ColumnRef:
        parent.setdefault(ref, ref)
        while parent[ref] != ref:
            parent[ref] = parent[parent[ref]]
            ref = parent[ref]
        return ref

    for pair in pairs:
        refs = sorted(pair)
        for ref in refs[1:]:
            parent[find(ref)] = find(refs[0])
    return {ref: find(ref) for ref in list(parent)}


def plan_samples(
    row_counts: dict[str, int], first_columns: dict[str, str], facts: QueryFacts, fraction: float, *, small_rows: int
) -> dict[str, TableSample]:
    """The sample of every table of ``row_counts`` (lower-case ``catalog.schema.table`` -> rows);
    a large table the workload never joins is bucketed on its first column (``first_columns``).

    >>> from jobs.sandbox.query_facts import collect_query_facts
    >>> facts = collect_query_facts([
    ...     "SELECT 1 FROM c.s.orders o JOIN c.s.lines l ON o.id = l.order_id JOIN c.s.shop s ON s.id = o.shop_id"])
    >>> rows = {"c.s.orders": 10**6, "c.s.lines": 10**7, "c.s.shop": 50}
    >>> plan = plan_samples(rows, {t: "id" for t in rows}, facts, 0.1, small_rows=1000)
    >>> [plan[t].describe() for t in ("c.s.orders", "c.s.lines", "c.s.shop")]
    ['10% sample by id', '10% sample by order_id', 'whole']
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"the sample fraction must be in (0, 1], got {fraction}")
    large = {table for table, rows in row_counts.items() if rows > small_rows and fraction < 1}
    classes = _join_classes(facts.join_pairs)
    tables_of_class: dict[ColumnRef, set[str]] = defaultdict(set)
    for (table, _), root in classes.items():
        if table in large:
            tables_of_class[root].add(table)
    samples: dict[str, TableSample] = {}
    for table in row_counts:
        if table not in large:
            samples[table] = TableSample(table, None, 1.0)
            continue
        keys = sorted(
            ((len(tables_of_class[root] - {table}), column) for (t, column), root in classes.items() if t == table),
            key=lambda item: (-item[0], item[1]),
        )
        samples[table] = TableSample(table, keys[0][1] if keys else first_columns[table], fraction)
    return samples
