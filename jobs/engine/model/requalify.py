"""Point a query at the new schema: every source table reference, fully qualified.

The table references are found in sqlglot's AST and replaced in place in the query text (by
the identifiers' positions), so everything else in the query stays byte-for-byte what the user
wrote: no generator round trip can change its meaning. Text that cannot be parsed falls back
to replacing ``catalog.schema.table`` token sequences naming known tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from jobs.engine.model.namespaces import Namespaces
from jobs.engine.model.source_ddl import SourceTable, collapse_qualifiers, identifier_parts
from jobs.sql.dialect import DIALECT, dialect
from jobs.sql.quoting import qualified
from jobs.sql.text import clean_sql, splice, tokenize


@dataclass
class ParsedQuery:
    """One input query: its cleaned text, its AST (``None`` when unparsable), what it reads."""

    queryid: str
    text: str
    ast: exp.Expr | None
    #: The source tables it reads, in first-reference order.
    sources: list[SourceTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The text rewritten to read the new schema (baseline).
    requalified: str = ""
    #: Whether :attr:`requalified` is :attr:`text` with only its table names replaced (spliced).
    spliced: bool = False
    #: :func:`table_references` of :attr:`ast`, as parsed.
    tables: list[exp.Table] = field(default_factory=list)
    #: The sqlglot dialect :attr:`text` is written in.
    read: str = DIALECT

    def fresh_tree(self) -> exp.Expr:
        """A new AST of :attr:`text`, for rules that edit a tree (only call when :attr:`ast` is set).

        Parsing again beats a deep copy; the tokens are not kept for it: holding every query's
        tokens doubles the objects the garbage collector scans for the whole run.
        """
        return dialect(self.read).parser().parse(tokenize(self.text, self.read), self.text)[0]  # type: ignore[return-value]


def is_cte_reference(table: exp.Table) -> bool:
    """Whether a one-part table name refers to a CTE visible where it is used.

    A CTE is visible in the query body and in the CTEs after it (in itself only when recursive).

    >>> import sqlglot
    >>> tree = sqlglot.parse_one("WITH t AS (SELECT * FROM t), u AS (SELECT * FROM t) SELECT * FROM u", read="trino")
    >>> in_text_order = sorted(tree.find_all(exp.Table), key=lambda t: t.this.meta["start"])
    >>> [is_cte_reference(t) for t in in_text_order]
    [False, True, True]
    """
    if table.args.get("db") or table.args.get("catalog") or not isinstance(table.this, exp.Identifier):
        return False
    name = table.name.lower()
    child: exp.Expr = table
    node: exp.Expr | None = table.parent
    while node is not None:
        if isinstance(node, exp.With):
            # Inside a CTE definition: only the CTEs before it (and itself if recursive) are visible.
            ctes = list(node.expressions)
            index = next((i for i, cte in enumerate(ctes) if cte is child), len(ctes))
            visible = ctes[: index + 1] if node.args.get("recursive") else ctes[:index]
            if any(cte.alias_or_name.lower() == name for cte in visible):
                return True
        else:
            with_ = node.args.get("with_") or node.args.get("with")
            if (
                isinstance(with_, exp.With)
                and child is not with_
                and any(cte.alias_or_name.lower() == name for cte in with_.expressions)
            ):
                return True
        child, node = node, node.parent
    return False


def table_references(ast: exp.Expr) -> list[exp.Table]:
    """Every reference to a stored table (CTE references excluded), in text order."""
    return [t for t in ast.find_all(exp.Table) if t.name and not is_cte_reference(t)]


def _span(parts: list[exp.Identifier]) -> tuple[int, int] | None:
    metas = [p.meta for p in parts]
    if not metas or any("start" not in m for m in metas):
        return None
    return int(metas[0]["start"]), int(metas[-1]["end"]) + 1


def _qualifier_edits(
    ast: exp.Expr, renamed: dict[tuple[str, str, str], str], namespaces: Namespaces
) -> list[tuple[int, int, str]]:
    """Columns qualified with a schema (``s.t.col``) follow their table into the new schema."""
    edits: list[tuple[int, int, str]] = []
    if not renamed:
        return edits
    for column in ast.find_all(exp.Column):
        if not (column.args.get("db") or column.args.get("catalog")):
            continue  # at most table.column
        parts = [p for p in column.parts if isinstance(p, exp.Identifier)]
        if len(parts) < 3:
            continue
        qualifier = collapse_qualifiers([p.name for p in parts[:-1]])
        resolution = namespaces.resolve(qualifier) if len(qualifier) in (2, 3) else None
        if resolution is None or resolution.source is None or resolution.source.key not in renamed:
            continue
        span = _span(parts[:-1])
        if span is not None:
            edits.append((*span, renamed[resolution.source.key]))
    return edits


def parse_query(queryid: str, text: str, namespaces: Namespaces) -> ParsedQuery:
    """Clean, parse and requalify one query; never raises (problems become notes)."""
    read = namespaces.dialect
    cleaned = clean_sql(text, read)
    query = ParsedQuery(queryid, cleaned.text, None, notes=list(cleaned.notes), read=read)
    try:
        # Parse the tokens clean_sql already made: tokenizing is half the cost of parsing.
        tokens = cleaned.tokens or tokenize(cleaned.text, read)
        statements = [s for s in dialect(read).parser().parse(tokens, cleaned.text) if s is not None]
    except SqlglotError as exc:
        query.notes.append(f"cannot be parsed, passed through requalified: {str(exc).splitlines()[0][:160]}")
        query.requalified = _token_requalify(cleaned.tokens, cleaned.text, namespaces, query)
        return query
    if len(statements) != 1:
        query.notes.append(f"holds {len(statements)} statements, passed through requalified")
        query.requalified = _token_requalify(cleaned.tokens, cleaned.text, namespaces, query)
        return query
    query.ast = statements[0]
    edits: list[tuple[int, int, str]] = []
    renamed: dict[tuple[str, str, str], str] = {}
    query.tables = table_references(query.ast)
    for table in query.tables:
        identifiers = [p for p in table.parts if isinstance(p, exp.Identifier)]
        resolution = namespaces.resolve(collapse_qualifiers(identifier_parts(table)))
        if resolution.note:
            query.notes.append(resolution.note)
        source = resolution.source
        if source is None:
            replacement = qualified(*resolution.parts)
        else:
            if source not in query.sources:
                query.sources.append(source)
            replacement = renamed[source.key] = namespaces.new_name(source)
        span = _span(identifiers)
        if span is None:
            query.notes.append(f"no position for {table.sql(dialect(read))}: rendered from the AST")
            return _render_from_ast(query, namespaces)
        edits.append((*span, replacement))
    edits.extend(_qualifier_edits(query.ast, renamed, namespaces))
    query.requalified = splice(cleaned.text, edits)
    query.spliced = True
    return query


def _render_from_ast(query: ParsedQuery, namespaces: Namespaces) -> ParsedQuery:
    assert query.ast is not None
    copy = query.ast.copy()
    requalify_tree(copy, namespaces)
    query.requalified = copy.sql(dialect(query.read))
    return query


def requalified_trees(queries: list[ParsedQuery], namespaces: Namespaces) -> dict[str, exp.Expr]:
    """The tree of each spliced requalified text, by text, for the validator; consumes the ASTs.

    A spliced text is the parsed query's own text with table names replaced by qualified names, so
    its tree is the query's tree with those tables replaced: parsing 1,000 texts again cost a
    quarter of the planning time. Call only once no rule needs the original trees: each AST is
    requalified in place and then belongs to the returned mapping.
    """
    trees: dict[str, exp.Expr] = {}
    for query in queries:
        if query.ast is not None and query.spliced:
            requalify_tree(query.ast, namespaces, query.tables)
            trees[query.requalified] = query.ast
            query.ast = None
    return trees


def requalify_tree(tree: exp.Expr, namespaces: Namespaces, tables: list[exp.Table] | None = None) -> None:
    """Point every stored-table reference of ``tree`` (in place) at its fully qualified new name.

    ``tables``: the references when already known (:func:`table_references` of ``tree``).
    """
    for table in table_references(tree) if tables is None else tables:
        resolution = namespaces.resolve(collapse_qualifiers(identifier_parts(table)))
        if resolution.source is not None:
            table.replace(point_at(table, namespaces, resolution.source))
        else:
            catalog, schema, name = resolution.parts
            new = exp.table_(name, db=schema, catalog=catalog)
            if table.args.get("alias") is not None:
                new.set("alias", table.args["alias"].copy())
            table.replace(new)


def point_at(table: exp.Table, namespaces: Namespaces, source: SourceTable, name: str | None = None) -> exp.Table:
    """A copy of ``table`` (alias kept) naming ``source``'s table (or ``name``) in the new schema."""
    catalog, schema = namespaces.new_namespace(source)
    new = exp.table_(name or source.name.lower(), db=schema, catalog=catalog)
    alias = table.args.get("alias")
    if alias is not None:
        new.set("alias", alias.copy())
    return new


def _token_requalify(found: list[Token], text: str, namespaces: Namespaces, query: ParsedQuery) -> str:
    """Fallback for unparsable text: rewrite ``name(.name)*`` token runs that name a known table."""
    name_types = {TokenType.VAR, TokenType.IDENTIFIER}

    def is_name(token: Token) -> bool:
        return token.token_type in name_types or token.text.isidentifier()

    edits: list[tuple[int, int, str]] = []
    index = 0
    while index < len(found):
        start = index
        while (
            index + 2 < len(found)
            and is_name(found[index])
            and found[index + 1].token_type == TokenType.DOT
            and is_name(found[index + 2])
        ):
            index += 2
        run = found[start : index + 1 : 2]
        index += 1
        names = [t.text for t in run]
        if len(names) < 3:
            continue
        resolution = namespaces.resolve(collapse_qualifiers(names))
        if resolution.source is not None:
            edits.append((run[0].start, run[-1].end + 1, namespaces.new_name(resolution.source)))
            if resolution.source not in query.sources:
                query.sources.append(resolution.source)
    if not found and text:
        query.notes.append("cannot be tokenized either: passed through unchanged")
    return splice(text, edits)
