"""The source tables, read from the workload's ``CREATE TABLE`` statements.

A DDL statement the engine cannot read raises :class:`PlanningError` naming it (``ddl[2]``):
without the table's columns there is nothing to plan.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from jobs.contract.workload import Workload
from jobs.engine.errors import PlanningError
from jobs.sql.dialect import DIALECT, POSTGRES, dialect, dialect_of_url
from jobs.sql.quoting import qualified
from jobs.sql.text import clean_sql


@dataclass(frozen=True)
class SourceColumn:
    name: str
    #: The column type in the workload's dialect (``DECIMAL(7, 2)``).
    type_sql: str
    #: Declared ``NOT NULL`` (or part of the primary key); kept on PostgreSQL, where it is enforced.
    not_null: bool = False

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class SourceTable:
    catalog: str
    schema: str
    name: str
    columns: tuple[SourceColumn, ...]
    #: Iceberg ``partitioning``/``sorted_by`` entries the source DDL declares, if any.
    partitioning: tuple[str, ...] = ()
    sorted_by: tuple[str, ...] = ()
    #: PostgreSQL ``PRIMARY KEY`` columns (column or table constraint), lower case.
    primary_key: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """Lower-case ``(catalog, schema, table)``: Trino folds identifiers to lower case."""
        return self.catalog.lower(), self.schema.lower(), self.name.lower()

    @property
    def qualified(self) -> str:
        return qualified(*self.key)

    @functools.cached_property
    def _by_name(self) -> dict[str, SourceColumn]:
        return {column.key: column for column in self.columns}

    def column(self, name: str) -> SourceColumn | None:
        return self._by_name.get(name.lower())


def identifier_parts(node: exp.Table | exp.Column) -> list[str]:
    """Every name part of a table (or column qualifier), flattening ``a.b.a.b.t``."""
    return [part.name for part in node.parts if isinstance(part, exp.Identifier)]


def collapse_qualifiers(parts: list[str]) -> list[str]:
    """Undo duplicated qualifiers: ``a.b.a.b.t`` and ``a.a.b.t`` become ``a.b.t``.

    >>> collapse_qualifiers(["a", "b", "a", "b", "t"])
    ['a', 'b', 't']
    >>> collapse_qualifiers(["x", "y", "z", "t"])
    ['x', 'y', 'z', 't']
    """
    prefix, name = [p.lower() for p in parts[:-1]], parts[-1]
    original = parts[:-1]
    changed = True
    while changed and len(prefix) > 2:
        changed = False
        if prefix[:2] == prefix[2:4]:
            prefix, original, changed = prefix[2:], original[2:], True
        elif prefix[0] == prefix[1]:
            prefix, original, changed = prefix[1:], original[1:], True
    return [*original, name]


def session_namespace(url: str | None) -> tuple[str | None, str | None]:
    """The catalog and schema a JDBC URL's session starts in (``(None, None)`` when it names none)."""
    if not url:
        return None, None
    from jobs.sql.jdbc_url import JdbcUrlError, parse_jdbc_url

    try:
        parsed = parse_jdbc_url(url)
    except JdbcUrlError:
        return None, None
    if parsed.engine == "postgresql":
        # A PostgreSQL session is in the URL's database, and unqualified names find ``public``
        # (the default search_path).
        return parsed.catalog, parsed.schema or ("public" if parsed.catalog else None)
    return parsed.catalog, parsed.schema


_DIALECT_NAMES = {DIALECT: "Trino", POSTGRES: "PostgreSQL"}
#: PostgreSQL's serial types are integers with a sequence as default; the copies keep the integer
#: (the values come from the source by INSERT ... SELECT and the plan's tables are only read).
_SERIAL = {
    exp.DataType.Type.SMALLSERIAL: "SMALLINT",
    exp.DataType.Type.SERIAL: "INT",
    exp.DataType.Type.BIGSERIAL: "BIGINT",
}


def _parse_one(index: int, text: str, read: str) -> exp.Create:
    field = f"ddl[{index}]"
    cleaned = clean_sql(text, read)
    try:
        statements = [s for s in sqlglot.parse(cleaned.text, read=dialect(read)) if s is not None]
    except SqlglotError as exc:
        name = _DIALECT_NAMES.get(read, read)
        raise PlanningError(field, f"cannot be parsed as {name} SQL: {str(exc).splitlines()[0][:200]}") from None
    if len(statements) != 1:
        raise PlanningError(field, f"expected one CREATE TABLE statement, found {len(statements)}")
    statement = statements[0]
    if not (isinstance(statement, exp.Create) and statement.kind == "TABLE"):
        raise PlanningError(field, f"expected a CREATE TABLE statement, found {cleaned.text[:60]!r}")
    if not isinstance(statement.this, exp.Schema) or not statement.this.expressions:
        raise PlanningError(field, "CREATE TABLE has no column list (CREATE TABLE ... AS is not supported)")
    return statement


def _array_property(statement: exp.Create, name: str) -> tuple[str, ...]:
    props = statement.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.Property) and prop.name.lower() == name:
            value = prop.args.get("value")
            if isinstance(value, exp.Array):
                return tuple(item.name for item in value.expressions if isinstance(item, exp.Literal))
    return ()


def read_source_tables(workload: Workload) -> list[SourceTable]:
    """Parse every DDL statement, in order, or raise :class:`PlanningError` naming the bad one."""
    return list(_read_cached(tuple(d.statement for d in workload.ddl), workload.url))


@functools.lru_cache(maxsize=16)
def _read_cached(statements: tuple[str, ...], url: str | None) -> tuple[SourceTable, ...]:
    # The engine and the validator read the same DDL several times per task; SourceTable is frozen.
    return tuple(_read(statements, url))


def _read(statements: tuple[str, ...], url: str | None) -> list[SourceTable]:
    read = dialect_of_url(url)
    created = [(index, _parse_one(index, text, read)) for index, text in enumerate(statements)]
    named = []
    for index, statement in created:
        schema_node = statement.this
        assert isinstance(schema_node, exp.Schema)
        table = schema_node.this
        if not isinstance(table, exp.Table):
            raise PlanningError(f"ddl[{index}]", "CREATE TABLE names no table")
        named.append((index, statement, collapse_qualifiers(identifier_parts(table))))
    known = {(p[-3].lower(), p[-2].lower()) for _, _, p in named if len(p) == 3}
    url_catalog, url_schema = session_namespace(url)
    tables: list[SourceTable] = []
    seen: set[tuple[str, str, str]] = set()
    for index, statement, parts in named:
        field = f"ddl[{index}]"
        if len(parts) == 2:
            catalogs = sorted({c for c, s in known if s == parts[0].lower()})
            catalog = url_catalog or (catalogs[0] if len(catalogs) == 1 else None)
            if catalog is None:
                raise PlanningError(field, f"table {'.'.join(parts)} has no catalog and none can be inferred")
            parts = [catalog, *parts]
        elif len(parts) == 1:
            namespace = (url_catalog, url_schema) if url_catalog and url_schema else None
            if namespace is None and len(known) == 1:
                namespace = next(iter(known))
            if namespace is None:
                raise PlanningError(field, f"table {parts[0]} is not qualified and no catalog.schema can be inferred")
            parts = [namespace[0], namespace[1], parts[0]]
        elif len(parts) != 3:
            raise PlanningError(field, f"table name {'.'.join(parts)} has more than catalog.schema.table")
        columns, primary_key = _columns(field, statement, read)
        if not columns:
            raise PlanningError(field, "CREATE TABLE declares no columns")
        source = SourceTable(
            parts[0],
            parts[1],
            parts[2],
            tuple(columns),
            _array_property(statement, "partitioning"),
            _array_property(statement, "sorted_by"),
            primary_key,
        )
        if source.key in seen:
            raise PlanningError(field, f"table {source.qualified} is declared twice")
        seen.add(source.key)
        tables.append(source)
    return tables


def _columns(field: str, statement: exp.Create, read: str) -> tuple[list[SourceColumn], tuple[str, ...]]:
    """The declared columns, and the primary key (PostgreSQL only: Iceberg tables have none)."""
    schema_node = statement.this
    assert isinstance(schema_node, exp.Schema)
    keys: list[str] = []
    for node in schema_node.expressions:
        if isinstance(node, exp.PrimaryKey):
            keys.extend(c.name.lower() for c in node.expressions if isinstance(c, exp.Expr) and c.name)
    columns = []
    for column_def in schema_node.expressions:
        if not isinstance(column_def, exp.ColumnDef):
            continue  # table constraints: the primary key is read above, the rest is not copied
        kind = column_def.args.get("kind")
        if kind is None:
            raise PlanningError(field, f"column {column_def.name} has no type")
        constraints = [c.args.get("kind") for c in column_def.args.get("constraints") or []]
        if any(isinstance(c, exp.PrimaryKeyColumnConstraint) for c in constraints):
            keys.append(column_def.name.lower())
        serial = _SERIAL.get(kind.this) if read == POSTGRES else None
        type_sql = serial or kind.sql(dialect(read))
        not_null = any(isinstance(c, exp.NotNullColumnConstraint) for c in constraints)
        columns.append(SourceColumn(column_def.name, type_sql, not_null or serial is not None))
    if read != POSTGRES:
        return columns, ()
    key = tuple(dict.fromkeys(keys))
    return [replace(c, not_null=True) if c.key in key else c for c in columns], key


def check_ddl(workload: Workload) -> None:
    """Raise :class:`PlanningError` when a DDL statement cannot be planned from (cheap: no rules run).

    >>> from jobs.contract.workload import parse_workload
    >>> check_ddl(parse_workload({"ddl": [{"statement": "CREATE TABLE c.s.t (a int);"},
    ...                                   {"statement": "CREATE TABLE c.s.u (a int"}],
    ...                           "queries": [{"queryid": "q", "query": "SELECT 1"}]}))
    Traceback (most recent call last):
    ...
    jobs.engine.errors.PlanningError: ddl[1]: cannot be parsed as Trino SQL: Expecting ). Line 1, Col: 25.
    """
    read_source_tables(workload)
