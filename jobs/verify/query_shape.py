"""What decides how two results of a query may be compared: ORDER BY keys, LIMIT, nondeterminism."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

NONDETERMINISTIC = {"random", "rand", "uuid", "shuffle", "now", "current_timestamp", "localtimestamp"}
#: Window functions whose value depends on the order among ties.
TIE_SENSITIVE = {"row_number", "first_value", "last_value", "lag", "lead", "nth_value"}
#: Aggregates that may return any of several right answers (sqlglot's name -> Trino's).
PICKS_ANY = {"arg_max": "max_by", "arg_min": "min_by", "any_value": "arbitrary"}
#: Aggregates whose value lists elements in whatever order the rows arrive, unless they carry an ORDER BY.
ORDER_SENSITIVE = {"array_agg": "array_agg", "group_concat": "listagg", "map_agg": "map_agg"}
APPROXIMATE = {"approx_quantile": "approx_percentile"}


@dataclass(frozen=True)
class QueryShape:
    #: Output column positions of the top-level ORDER BY keys; ``None`` when the query does not order
    #: or a key is not an output column (then order cannot be checked).
    order_positions: tuple[int, ...] | None
    ordered: bool
    limited: bool
    #: Why the original itself may return different rows from run to run ("" when it cannot).
    nondeterministic: str = ""


def _output_names(select: exp.Expression) -> list[str]:
    return [projection.alias_or_name.lower() for projection in select.selects] if isinstance(select, exp.Query) else []


def _key_position(key: exp.Expression, select: exp.Query, names: list[str]) -> int | None:
    if isinstance(key, exp.Literal) and key.is_int:
        position = int(key.this) - 1
        return position if 0 <= position < len(names) else None
    if isinstance(key, exp.Column) and not key.table and key.name.lower() in names:
        return names.index(key.name.lower())
    rendered = key.sql("trino").lower()
    for position, projection in enumerate(select.selects):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if inner.sql("trino").lower() == rendered or (
            isinstance(key, exp.Column) and isinstance(inner, exp.Column) and inner.name.lower() == key.name.lower()
        ):
            return position
    return None


def _function_name(node: exp.Func) -> str:
    return (str(node.this) if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _nondeterminism(tree: exp.Expr) -> str:
    for function in tree.find_all(exp.Func):
        name = _function_name(function)
        if name in NONDETERMINISTIC or isinstance(function, exp.Rand):
            return f"calls {name}()"
        if name.startswith("approx_"):
            return f"{APPROXIMATE.get(name, name)}() is approximate"
        if name in PICKS_ANY:
            return f"{PICKS_ANY[name]}() may pick any of tied rows"
        if name in ORDER_SENSITIVE and function.find(exp.Order) is None:
            return f"{ORDER_SENSITIVE[name]}() without ORDER BY lists elements in any order"
        if name in TIE_SENSITIVE or isinstance(function, exp.RowNumber):
            return f"{name}() depends on the order among ties"
    for window in tree.find_all(exp.Window):
        spec = window.args.get("spec")
        if isinstance(spec, exp.WindowSpec) and str(spec.args.get("kind", "")).upper() == "ROWS":
            return "a ROWS window frame depends on the order among ties"
    for limit in tree.find_all(exp.Limit, exp.Fetch):
        if limit.parent is not tree:
            return "a subquery with LIMIT may pick any of tied rows"
        if tree.args.get("order") is None:
            return "LIMIT without ORDER BY may return any rows"
    return ""


def query_shape(sql: str) -> QueryShape:
    """How results of ``sql`` may be compared.

    >>> query_shape("SELECT a, count(*) AS n FROM t GROUP BY a ORDER BY n DESC, 1 LIMIT 5")
    QueryShape(order_positions=(1, 0), ordered=True, limited=True, nondeterministic='')
    >>> query_shape("SELECT * FROM t ORDER BY random() LIMIT 3").nondeterministic
    'calls rand()'
    >>> query_shape("WITH top AS (SELECT a FROM t ORDER BY b LIMIT 3) SELECT * FROM top").nondeterministic
    'a subquery with LIMIT may pick any of tied rows'
    >>> query_shape("SELECT k, approx_percentile(v, 0.95) FROM t GROUP BY k").nondeterministic
    'approx_percentile() is approximate'
    >>> query_shape("SELECT max_by(body, length(body)) FROM t").nondeterministic
    'max_by() may pick any of tied rows'
    >>> query_shape("SELECT sum(v) OVER (ORDER BY d ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t").nondeterministic
    'a ROWS window frame depends on the order among ties'
    """
    try:
        tree = sqlglot.parse_one(sql, dialect="trino")
    except SqlglotError:
        return QueryShape(None, False, False)
    query = tree
    order = query.args.get("order")
    limited = query.args.get("limit") is not None or query.args.get("fetch") is not None
    nondeterministic = _nondeterminism(tree)
    if not isinstance(order, exp.Order):
        return QueryShape(None, False, limited, nondeterministic)
    select = query if isinstance(query, exp.Select) else None
    if select is None and isinstance(query, exp.SetOperation):
        select = query.left if isinstance(query.left, exp.Select) else None
    names = _output_names(select) if select is not None else []
    positions: list[int] = []
    for ordered in order.expressions:
        key = ordered.this if isinstance(ordered, exp.Ordered) else ordered
        position = _key_position(key, select, names) if select is not None else None
        if position is None:
            return QueryShape(None, True, limited, nondeterministic)
        positions.append(position)
    return QueryShape(tuple(positions), True, limited, nondeterministic)
