"""Where the new tables go: one new schema per source ``catalog.schema``, and name resolution.

The new schema of source ``c.s`` is ``c.s_opt`` (``s_opt_2``, ``s_opt_3``... when that name is
itself a source schema), in the order the DDL first names each source schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.engine.model.source_ddl import SourceTable
from jobs.sql.dialect import DIALECT
from jobs.sql.quoting import qualified

#: Suffix of the new schema's name.
NEW_SCHEMA_SUFFIX = "_opt"


@dataclass(frozen=True)
class Resolution:
    """What a table reference in a query points at: a source table, or another table by full name."""

    source: SourceTable | None
    #: The reference fully qualified (lower case): the source table's name, or the best reading
    #: of a table the DDL does not declare (it keeps pointing there).
    parts: tuple[str, str, str]
    #: What was guessed or could not be resolved ('' when the reference is plain).
    note: str = ""


class Namespaces:
    """The source tables by name, and the new schema each source schema maps to.

    Unqualified names resolve like Trino does against the session (the JDBC URL's catalog and
    schema) when the URL names them, else against the declared tables; a name that stays
    ambiguous or undeclared is read in the first matching source schema, with a note.
    """

    def __init__(
        self, tables: list[SourceTable], default: tuple[str | None, str | None] = (None, None), read: str = DIALECT
    ) -> None:
        self.tables = tables
        #: The sqlglot dialect the workload's queries are read (and the plan written) in.
        self.dialect = read
        self.by_key = {t.key: t for t in tables}
        self.default = (default[0].lower() if default[0] else None, default[1].lower() if default[1] else None)
        source_schemas: list[tuple[str, str]] = []
        for table in tables:
            if (table.catalog.lower(), table.schema.lower()) not in source_schemas:
                source_schemas.append((table.catalog.lower(), table.schema.lower()))
        taken = set(source_schemas)
        self.new_schema: dict[tuple[str, str], tuple[str, str]] = {}
        for catalog, schema in source_schemas:
            base = schema + NEW_SCHEMA_SUFFIX
            candidate, counter = base, 1
            while (catalog, candidate) in taken:
                counter += 1
                candidate = f"{base}_{counter}"
            taken.add((catalog, candidate))
            self.new_schema[(catalog, schema)] = (catalog, candidate)
        #: Source (catalog, schema) pairs in DDL order.
        self.ordered_schemas = source_schemas
        self.source_schemas = set(source_schemas)
        #: Resolutions by name parts: every block of every query resolves its tables again.
        self._resolved: dict[tuple[str, ...], Resolution] = {}

    def new_namespace(self, table: SourceTable) -> tuple[str, str]:
        return self.new_schema[(table.catalog.lower(), table.schema.lower())]

    def new_name(self, table: SourceTable, name: str | None = None) -> str:
        """The fully qualified name of ``table``'s copy (or of ``name``) in its new schema."""
        catalog, schema = self.new_namespace(table)
        return qualified(catalog, schema, (name or table.name).lower())

    def _found(self, parts: tuple[str, str, str], note: str = "") -> Resolution:
        source = self.by_key.get(parts)
        if source is None:
            where = "a source schema" if parts[:2] in self.source_schemas else "outside the source schemas"
            note = (
                note + "; " if note else ""
            ) + f"reads {'.'.join(parts)}, a table the DDL does not declare ({where})"
        return Resolution(source, parts, note)

    def resolve(self, parts: list[str]) -> Resolution:
        """Resolve a table reference's (collapsed) name parts.

        >>> from jobs.engine.model.source_ddl import SourceColumn, SourceTable
        >>> column = (SourceColumn("a", "INTEGER"),)
        >>> spaces = Namespaces([SourceTable("c", "s", "t", column), SourceTable("c", "r", "t", column)])
        >>> spaces.resolve(["S", "T"]).parts, spaces.resolve(["t"]).note
        (('c', 's', 't'), 't is ambiguous (c.s.t, c.r.t): read as c.s.t')
        >>> spaces.resolve(["x", "c", "s", "t"]).note
        'x.c.s.t has more than catalog.schema.table: read as c.s.t'
        """
        key = tuple(parts)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(parts)
        return found

    def _resolve(self, parts: list[str]) -> Resolution:
        lowered = [p.lower() for p in parts]
        catalog_default, schema_default = self.default
        if len(lowered) > 3:
            read = (lowered[-3], lowered[-2], lowered[-1])
            return self._found(read, f"{'.'.join(parts)} has more than catalog.schema.table: read as {'.'.join(read)}")
        if len(lowered) == 3:
            return self._found((lowered[0], lowered[1], lowered[2]))
        if len(lowered) == 2:
            schema, name = lowered
            catalogs = [c for c, s in self.ordered_schemas if s == schema]
            catalog = catalog_default or (catalogs[0] if catalogs else self.ordered_schemas[0][0])
            note = "" if catalog_default or len(catalogs) == 1 else f"{'.'.join(parts)}: catalog guessed as {catalog}"
            return self._found((catalog, schema, name), note)
        name = lowered[0]
        if catalog_default and schema_default:
            return self._found((catalog_default, schema_default, name))
        matches = [t for t in self.tables if t.name.lower() == name]
        if len(matches) == 1:
            return Resolution(matches[0], matches[0].key)
        if matches:
            listed = ", ".join(m.qualified for m in matches)
            return Resolution(
                matches[0], matches[0].key, f"{parts[0]} is ambiguous ({listed}): read as {matches[0].qualified}"
            )
        catalog, schema = self.ordered_schemas[0]
        return self._found((catalog, schema, name))
