"""Rewrite a qualifying GROUP BY block to read a pre-aggregated table.

The pre-aggregated table holds, per group of its keys (a superset of the block's keys, same
WHERE), the block's measures. The block keeps its shape: the same outputs in the same order
and with the same names, the same HAVING, ORDER BY and LIMIT; only its FROM/WHERE change, keys
become the table's key columns, and each aggregate becomes its re-aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from jobs.engine.analysis.aggregate_blocks import AggregateBlock, Shape, canonical, case_results
from jobs.engine.model.query_blocks import own_nodes
from jobs.sql.quoting import quote_name


@dataclass(frozen=True)
class AggregateLayout:
    """Where the pre-aggregated table is and what its columns are called."""

    catalog: str
    schema: str
    name: str
    #: canonical key expression -> column name
    keys: dict[Shape, str]
    #: measure key -> column name
    measures: dict[Shape, str]


def column_named(name: str) -> exp.Column:
    """A column reference quoted exactly as the generator will print it (so the tree round-trips)."""
    return exp.column(exp.to_identifier(name, quoted=quote_name(name) != name))


def key_column(name: str, key: exp.Expr) -> exp.Expr:
    """The new table's column ``name`` standing for the key expression ``key``, typed as ``key`` was.

    Trino types a CASE of string literals ``varchar(n)`` (n: its longest value), which Iceberg
    stores as ``varchar``: the column is cast back, so the query's output type stays the same.

    >>> import sqlglot
    >>> key_column("k_1", sqlglot.parse_one("CASE WHEN a > 5 THEN 'big' ELSE 'small' END", read="trino")).sql("trino")
    'CAST(k_1 AS VARCHAR(5))'
    >>> key_column("k_1", sqlglot.parse_one("CASE WHEN a > 5 THEN b END", read="trino")).sql("trino")
    'k_1'
    """
    column = column_named(name)
    if not isinstance(key, exp.Case):
        return column
    values = [r for r in case_results(key) if not isinstance(r, exp.Null)]
    if not values or not all(isinstance(r, exp.Literal) and r.is_string for r in values):
        return column
    longest = max(len(r.name) for r in values)
    return exp.cast(column, exp.DataType.build(f"VARCHAR({longest})", dialect="trino")) if longest else column


def _reaggregate(how: str, columns: list[str]) -> exp.Expr:
    if how == "sum":
        return exp.func("SUM", column_named(columns[0]))
    if how in ("min", "max"):
        return exp.func(how.upper(), column_named(columns[0]))
    total: exp.Expr = exp.func("SUM", column_named(columns[0]))
    if how == "avg_integer":
        total = exp.cast(total, "DOUBLE")
    # typed: Trino division (the type of the operands), not sqlglot's dialect-neutral true division.
    divide = exp.Div(this=total, expression=exp.func("SUM", column_named(columns[1])), typed=True, safe=False)
    return exp.Paren(this=divide)


#: Per output of a block before its rewrite: the bare column it was (named after itself), if it
#: was one, and whether it had an alias.
OutputNames = list[tuple[exp.Column | None, bool]]


def output_names_before(select: exp.Select) -> OutputNames:
    """How ``select``'s outputs are named, to be restored by :func:`restore_output_names`."""
    return [(e.copy() if isinstance(e, exp.Column) else None, isinstance(e, exp.Alias)) for e in select.expressions]


def restore_output_names(select: exp.Select, before: OutputNames) -> None:
    """Give each output that became a column of the new table the name Trino gave the original's.

    >>> import sqlglot
    >>> select = sqlglot.parse_one("SELECT a, month(d), count(*) FROM t GROUP BY 1, 2", read="trino")
    >>> before = output_names_before(select)
    >>> for index, name in ((0, "k_1"), (1, "k_2")):
    ...     _ = select.expressions[index].replace(column_named(name))
    >>> restore_output_names(select, before)
    >>> select.sql("trino")
    'SELECT k_1 AS a, k_2 AS _col1, COUNT(*) FROM t GROUP BY 1, 2'
    """
    for index, (expression, (bare, aliased)) in enumerate(zip(list(select.expressions), before, strict=True)):
        if not isinstance(expression, exp.Column):
            continue
        if bare is not None and expression.name != bare.name:
            expression.replace(exp.alias_(expression.copy(), bare.this.copy()))
        elif bare is None and not aliased and select.parent is None:
            # Trino names an unnamed output _colN; a bare column would be named after itself.
            expression.replace(exp.alias_(expression.copy(), f"_col{index}"))
        elif bare is None and not aliased:
            # Nested: named by its position in the final result, through a SELECT * over this
            # block. TRY(column) is the column, same type, and stays unnamed.
            expression.replace(exp.Try(this=expression.copy()))


def _output_names(select: exp.Select) -> set[str]:
    return {e.alias_or_name.lower() for e in select.expressions if e.alias_or_name}


def is_output_reference(node: exp.Expr, select: exp.Select, outputs: set[str]) -> bool:
    """An unqualified ORDER BY name that is one of ``select``'s outputs (Trino resolves those first)."""
    order = select.args.get("order")
    return (
        isinstance(node, exp.Column)
        and not node.table
        and order is not None
        and node.find_ancestor(exp.Order) is order
        and node.name.lower() in outputs
    )


def _replace_keys(root: exp.Expr, block: AggregateBlock, layout: AggregateLayout, outputs: set[str]) -> None:
    select = block.select
    stack: list[exp.Expr] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Query) and node is not select:
            continue
        if is_output_reference(node, select, outputs):
            continue
        if node.find(exp.Column) is not None and not isinstance(node, exp.Alias | exp.Ordered | exp.Window):
            name = layout.keys.get(canonical(node))
            if name is not None and node.find(exp.AggFunc) is None:
                node.replace(key_column(name, node))
                continue
        stack.extend(node.iter_expressions())


def rewrite_block(block: AggregateBlock, layout: AggregateLayout) -> bool:
    """Rewrite ``block.select`` in place; ``False`` (and the block untouched in meaning) if it cannot."""
    select = block.select
    outputs = _output_names(select)
    names = output_names_before(select)
    replacements = []
    for node, measures, how in block.aggregates.values():
        columns = [layout.measures[m.key] for m in measures]
        replacements.append((node, _reaggregate(how, columns)))
    for node, new in replacements:
        node.replace(new)
    group = select.args["group"]
    for key in list(group.expressions):
        if not (isinstance(key, exp.Literal) and not key.is_string):
            name = layout.keys.get(canonical(key))
            if name is None:
                return False
            key.replace(column_named(name))
    for expression in list(select.expressions):
        _replace_keys(expression, block, layout, outputs)
    for part in ("having", "order"):
        if select.args.get(part) is not None:
            _replace_keys(select.args[part], block, layout, outputs)
    restore_output_names(select, names)
    table = exp.table_(layout.name, db=layout.schema, catalog=layout.catalog)
    if block.table.args.get("alias") is not None:
        table.set("alias", block.table.args["alias"].copy())
    block.table.replace(table)
    select.set("where", None)
    known = set(layout.keys.values()) | set(layout.measures.values())
    for item in own_nodes(select):
        known_name = not isinstance(item, exp.Column) or item.name.lower() in known
        if not known_name and not is_output_reference(item, select, outputs):
            return False
    return True
