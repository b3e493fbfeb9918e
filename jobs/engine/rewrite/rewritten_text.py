"""The text of a query tree a rule rewrote, pointed at the new schema and checked to round-trip."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.engine.model.requalify import requalify_tree
from jobs.engine.model.workload_model import WorkloadModel
from jobs.sql.dialect import trino


def render_rewrite(model: WorkloadModel, tree: exp.Expr) -> str | None:
    """Point the remaining source tables at the new schema; ``None`` unless it parses back identically."""
    requalify_tree(tree, model.namespaces)
    text = tree.sql(trino(), copy=False)
    try:
        statements = trino().parse(text)
    except SqlglotError:
        return None
    if len(statements) != 1 or statements[0] is None or statements[0] != tree:
        return None
    model.parsed_texts[text] = statements[0]  # the validator's parse of this text
    return text
