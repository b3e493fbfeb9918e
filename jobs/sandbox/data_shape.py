"""What generated data looks like before any SQL is written: table sizes by role, key domains,
column cardinalities and the date window.

Roles come from Data-Vault/star naming (``ref_``, ``dim_``, ``h_``, ``s_``, ``l_``, ``fact_``) and,
for other names, from the join graph: a table whose own key other tables join to is a dimension,
a tenth of them per level (a devices table is far smaller than its readings). Categorical
columns (the workload groups by them, compares them with literals, or their name says
status/type/country/...) get a handful of values; free text gets about one value per two rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from jobs.sandbox.query_facts import ColumnRef, QueryFacts

ROLE_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reference", ("ref_", "lkp_", "lookup_")),
    ("dimension", ("dim_", "d_")),
    ("hub", ("h_", "hub_")),
    ("satellite", ("s_", "sat_")),
    ("link", ("l_", "lnk_", "link_")),
    ("fact", ("fact_", "fct_", "f_")),
)
#: Typical number of distinct values of a column whose name (or its last word) is one of these.
CATEGORY_HINTS = {
    "status": 6, "state": 50, "type": 8, "kind": 6, "category": 12, "class": 5, "segment": 5,
    "channel": 4, "country": 40, "region": 8, "city": 150, "tier": 4, "level": 5, "priority": 5,
    "gender": 3, "sex": 2, "method": 6, "mode": 5, "flag": 2, "currency": 8, "language": 10,
    "genre": 12, "source": 6, "profession": 20, "carrier": 15, "airline": 15, "code": 20,
    "group": 10, "brand": 30, "color": 12, "size": 6, "unit": 5, "stage": 6, "platform": 4,
}  # fmt: skip
#: Last words of column names that hold free text, whatever words come before.
FREE_TEXT_WORDS = {"name", "description", "text", "comment", "note", "info", "title", "address", "email", "url"}
#: Distinct values of a key the workload groups by (at least).
GROUP_KEY_VALUES = 100


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    #: Declared NOT NULL: the generator never leaves it empty.
    not_null: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]


def table_role(table: str, depth: int = 0) -> str:
    """The role of ``table``: by its name's prefix, else ``dimension`` when other tables join to its key
    (``depth`` joins away from a table nothing references).

    >>> table_role("q.p.ref_cities"), table_role("q.p.s_info"), table_role("q.p.devices", depth=1)
    ('reference', 'satellite', 'dimension')
    >>> table_role("q.p.readings")
    'fact'
    """
    short = table.rsplit(".", 1)[-1]
    for role, prefixes in ROLE_PREFIXES:
        if short.startswith(prefixes):
            return role
    return "dimension" if depth else "fact"


def table_rows(table: str, base_rows: int, depth: int = 0) -> int:
    """Rows of a generated table by its role: facts and links get ``base_rows``, a table other
    tables join to a tenth of them per level (lineitem, orders, customer).

    >>> [table_rows(t, 10000) for t in ("q.p.ref_cities", "q.p.dim_shop", "q.p.h_client", "q.p.l_x")]
    [50, 200, 1000, 10000]
    >>> [table_rows(t, 10000, depth) for t, depth in (("q.p.lineitem", 0), ("q.p.orders", 1), ("q.p.customer", 2))]
    [10000, 1000, 100]
    >>> table_rows("q.p.dim_shop", 10000, 1)
    200
    """
    role = table_role(table, depth)
    if role == "reference":
        return min(base_rows, 50)
    if role == "dimension":
        named = table_role(table) == "dimension"  # dim_/d_: 1/50 however deep
        return min(base_rows, max(50, base_rows // (50 if named or not depth else 10**depth)))
    if role in ("hub", "satellite"):
        return max(base_rows // 10, 10)
    return max(base_rows, 1)


def reference_depths(edges: set[tuple[str, str]]) -> dict[str, int]:
    """For each table other tables join to (``(child, parent)`` edges), its longest chain of
    children down to a table nothing references, capped at 3 (cycles count as ends).

    >>> sorted(reference_depths({("lineitem", "orders"), ("orders", "customer"), ("lineitem", "part")}).items())
    [('customer', 2), ('orders', 1), ('part', 1)]
    >>> reference_depths({(f"t{i + 1}", f"t{i}") for i in range(6)})["t0"]
    3
    """
    children: dict[str, set[str]] = defaultdict(set)
    for child, parent in edges:
        children[parent].add(child)

    def depth(table: str, seen: frozenset[str]) -> int:
        # Three levels above already reach the cap: no need to walk every longer path.
        if table in seen or not children[table] or len(seen) >= 3:
            return 0
        return min(3, 1 + max(depth(child, seen | {table}) for child in children[table]))

    return {parent: depth(parent, frozenset()) for parent in list(children)}


def _stems(short: str) -> set[str]:
    """Singular spellings of a table name without its role prefix (devices -> device)."""
    for _, prefixes in ROLE_PREFIXES:
        for prefix in prefixes:
            if short.startswith(prefix):
                short = short[len(prefix) :]
    stems = {short}
    if short.endswith("ies"):
        stems.add(short[:-3] + "y")
    elif short.endswith("es"):
        stems |= {short[:-2], short[:-1]}
    elif short.endswith("s"):
        stems.add(short[:-1])
    return stems


def is_unique_key(table: str, columns: list[str], column: str) -> bool:
    """Hub ids, a satellite's first column and a table's own ``<name>_id``/``_key``/``_sk`` identify a row.

    >>> is_unique_key("q.p.devices", ["device_id", "site_id"], "device_id")
    True
    >>> is_unique_key("q.p.readings", ["device_id", "value"], "device_id")
    False
    """
    short = table.rsplit(".", 1)[-1]
    if column == "id" or (table_role(table) == "satellite" and columns and columns[0] == column):
        return True
    return any(column == f"{stem}{suffix}" for stem in _stems(short) for suffix in ("_id", "_key", "_sk", "id"))


class KeyDomains:
    """Union-find over join columns: every column of one domain draws from the same key range."""

    def __init__(self, pairs: set[frozenset[ColumnRef]]) -> None:
        self._parent: dict[ColumnRef, ColumnRef] = {}
        for pair in pairs:
            members = sorted(pair)
            for member in members:
                self._parent.setdefault(member, member)
            if len(members) == 2:
                self._parent[self.find(members[0])] = self.find(members[1])

    def find(self, ref: ColumnRef) -> ColumnRef:
        while self._parent[ref] != ref:
            self._parent[ref] = self._parent[self._parent[ref]]
            ref = self._parent[ref]
        return ref

    def domain_of(self, ref: ColumnRef) -> ColumnRef | None:
        return self.find(ref) if ref in self._parent else None

    def members(self) -> dict[ColumnRef, list[ColumnRef]]:
        groups: dict[ColumnRef, list[ColumnRef]] = defaultdict(list)
        for ref in self._parent:
            groups[self.find(ref)].append(ref)
        return groups


def filter_strings(name: str, facts: QueryFacts) -> list[str]:
    """String literals ``name`` is compared with; regular expressions and LIKE patterns are not values."""
    return sorted(s for s in facts.strings.get(name, set()) if not re.search(r"[\^$\[\]\\]", s))


def hinted_values(name: str) -> int | None:
    """Distinct values a column named ``name`` typically has, when its name says it is categorical.

    >>> hinted_values("device_type"), hinted_values("marketing_airline_network"), hinted_values("cancellationcode")
    (8, 15, 20)
    >>> hinted_values("description") is None, hinted_values("category_description") is None
    (True, True)
    """
    words = name.lower().split("_")
    if words[-1] in FREE_TEXT_WORDS:
        return None
    if len(words) == 1:  # runtogether names: originstate, cancellationcode
        return next((v for hint, v in CATEGORY_HINTS.items() if name.lower().endswith(hint)), None)
    return next((CATEGORY_HINTS[w] for w in reversed(words) if w in CATEGORY_HINTS), None)


def category_count(name: str, facts: QueryFacts, rows: int) -> int:
    """Distinct values of a generated column: few for categorical ones, about rows/2 for free text.

    >>> from jobs.sandbox.query_facts import collect_query_facts
    >>> facts = collect_query_facts(["SELECT origin, count(*) FROM t WHERE note = 'x' GROUP BY origin"])
    >>> category_count("status", facts, 10000), category_count("note", facts, 10000)
    (6, 4)
    >>> is_free_text("comment", facts), is_free_text("origin", facts)
    (True, False)
    >>> category_count("origin", facts, 10000), category_count("comment", facts, 10000)
    (100, 5000)
    """
    literals = len(filter_strings(name, facts))
    hint = hinted_values(name)
    if hint is not None:
        return max(literals, hint)
    if name in facts.group_keys:
        return max(literals + 3, GROUP_KEY_VALUES)
    if literals:
        return literals + 3
    return max(10, rows // 2)


def is_free_text(name: str, facts: QueryFacts) -> bool:
    """Names, comments and descriptions: nearly one value per two rows, uniform, sometimes missing."""
    return hinted_values(name) is None and not filter_strings(name, facts) and name not in facts.group_keys


@dataclass
class WorkloadShape:
    """Per-workload decisions shared by all tables: row counts, key ranges and the date window."""

    facts: QueryFacts
    domains: KeyDomains
    domain_sizes: dict[ColumnRef, int]
    rows: dict[str, int]
    unique_keys: set[ColumnRef]
    first_day: dt.date
    days: int
    #: Declared single-column primary keys: always row numbers, joined or not.
    primary_keys: frozenset[ColumnRef] = frozenset()


def _date_window(facts: QueryFacts) -> tuple[dt.date, dt.date]:
    years = {int(y) for y in facts.numbers.get("year", set()) if 1900 < y < 2100}
    if years:
        return dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    if facts.dates:
        return min(facts.dates) - dt.timedelta(days=183), max(facts.dates) + dt.timedelta(days=183)
    return dt.date(2023, 1, 1), dt.date(2024, 12, 31)


def plan_shape(
    specs: list[TableSpec], facts: QueryFacts, base_rows: int, primary_keys: frozenset[ColumnRef] = frozenset()
) -> WorkloadShape:
    """Sizes and domains for the tables of ``specs`` at ``base_rows`` rows per fact table;
    ``primary_keys`` (declared, PostgreSQL) are row numbers like the keys names reveal."""
    tables = {spec.name: [c.name for c in spec.columns] for spec in specs}
    domains = KeyDomains(facts.join_pairs)
    unique = {(t, c) for t, columns in tables.items() for c in columns if is_unique_key(t, columns, c)}
    unique |= primary_keys
    # A table is referenced when another table's non-key column joins to its key.
    edges = {
        (b[0], a[0]) for pair in facts.join_pairs if len(pair) == 2 for a, b in (sorted(pair), sorted(pair)[::-1])
        if a in unique and b not in unique and a[0] != b[0]
    }  # fmt: skip
    depths = reference_depths(edges)
    rows = {t: table_rows(t, base_rows, depths.get(t, 0)) for t in tables}
    sizes: dict[ColumnRef, int] = {}
    for root, members in domains.members().items():
        keyed = [rows[t] for t, c in members if (t, c) in unique and t in rows]
        sizes[root] = min(keyed) if keyed else max(base_rows // 10, 10)
    first, last = _date_window(facts)
    return WorkloadShape(facts, domains, sizes, rows, unique, first, (last - first).days + 1, primary_keys)
