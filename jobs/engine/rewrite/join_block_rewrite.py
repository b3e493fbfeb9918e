"""The table that materializes a :class:`~jobs.engine.analysis.join_blocks.JoinBlock`, and the block reading it.

The table holds the block's groups: each key expression and each aggregate as a column,
filled by the block's own FROM, JOINs, WHERE and GROUP BY over the source tables. The block
keeps its outputs (names included), DISTINCT, windows, ORDER BY and LIMIT; its HAVING becomes
a WHERE on the table's rows, which are its groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from jobs.engine.analysis.aggregate_blocks import Shape
from jobs.engine.analysis.join_blocks import JoinBlock, shape
from jobs.engine.model.query_blocks import own_nodes
from jobs.engine.rewrite.aggregate_rewrite import (
    column_named,
    is_output_reference,
    key_column,
    output_names_before,
    restore_output_names,
)
from jobs.sql.dialect import trino
from jobs.sql.quoting import quote_name


@dataclass(frozen=True)
class BlockLayout:
    """Where the materialized table is and what its columns are called."""

    catalog: str
    schema: str
    name: str
    #: key shape -> column name
    keys: dict[Shape, str]
    #: aggregate shape -> column name
    aggregates: dict[Shape, str]

    @property
    def columns(self) -> list[str]:
        return [*self.keys.values(), *self.aggregates.values()]


def layout_for(block: JoinBlock, catalog: str, schema: str, name: str) -> BlockLayout:
    keys = {key: f"k_{index}" for index, key in enumerate(block.keys, start=1)}
    aggregates = {key: f"a_{index}" for index, key in enumerate(block.aggregates, start=1)}
    return BlockLayout(catalog, schema, name, keys, aggregates)


def _identifier(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=quote_name(name) != name)


def fill_select(block: JoinBlock, layout: BlockLayout) -> str:
    """The ``SELECT`` over the source tables that fills the table (call before :func:`rewrite_join_block`)."""
    fill = exp.Select()
    for key, expression in block.keys.items():
        fill = fill.select(exp.alias_(expression.copy(), _identifier(layout.keys[key])), copy=False)
    for key, units in block.aggregates.items():
        fill = fill.select(exp.alias_(units[0].copy(), _identifier(layout.aggregates[key])), copy=False)
    for part in ("from_", "joins", "where"):
        value = block.select.args.get(part)
        originals = value if isinstance(value, list) else [value] if value is not None else []
        copies = [_source_pointed(v, block) for v in originals]
        if copies:
            fill.set(part, copies if isinstance(value, list) else copies[0])
    if block.keys:
        fill.set("group", exp.Group(expressions=[e.copy() for e in block.keys.values()]))
    return fill.sql(trino(), copy=False)  # built of copies


def _source_pointed(node: exp.Expr, block: JoinBlock) -> exp.Expr:
    """A copy of ``node`` whose tables (nested queries' too) name their source tables in full."""
    copy = node.copy()
    # The copy has the original's shape, so walking both in the same order pairs their tables.
    pairs = list(zip(list(node.find_all(exp.Table)), list(copy.find_all(exp.Table)), strict=True))
    for original, table in pairs:
        source = block.tables.get(id(original))
        if source is None:
            continue
        catalog, schema, name = source.key
        new = exp.Table(this=_identifier(name), db=_identifier(schema), catalog=_identifier(catalog))
        if table.args.get("alias") is not None:
            new.set("alias", table.args["alias"].copy())
        table.replace(new)
    return copy


def _replace_keys(root: exp.Expr, block: JoinBlock, layout: BlockLayout, outputs: set[str]) -> None:
    stack: list[exp.Expr] = [root]
    while stack:
        node = stack.pop()
        if is_output_reference(node, block.select, outputs):
            continue
        if isinstance(node, exp.Column) or (node.find(exp.Column) is not None and not isinstance(node, exp.Alias)):
            name = layout.keys.get(shape(node, block.aliases))
            if name is not None:
                node.replace(key_column(name, node))
                continue
        stack.extend(node.iter_expressions())


def rewrite_join_block(block: JoinBlock, layout: BlockLayout) -> bool:
    """Rewrite ``block.select`` in place to read the table; ``False`` when a column is left over."""
    select = block.select
    outputs = {e.alias_or_name.lower() for e in select.expressions}
    names = output_names_before(select)
    for key, units in block.aggregates.items():
        for unit in units:
            unit.replace(column_named(layout.aggregates[key]))
    for part in ("expressions", "having", "order"):
        value = select.args.get(part)
        for item in value if isinstance(value, list) else [value] if value is not None else []:
            _replace_keys(item, block, layout, outputs)
    restore_output_names(select, names)
    having = select.args.get("having")
    select.set("where", exp.Where(this=having.this) if having is not None else None)
    select.set("having", None)
    select.set("group", None)
    select.set("joins", None)
    table = exp.Table(this=_identifier(layout.name), db=_identifier(layout.schema), catalog=_identifier(layout.catalog))
    select.set("from_", exp.From(this=table))
    known = set(layout.columns)
    for node in own_nodes(select):
        if isinstance(node, exp.Column) and not (
            (not node.table and node.name in known) or is_output_reference(node, select, outputs)
        ):
            return False
    return True
