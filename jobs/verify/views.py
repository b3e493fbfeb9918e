"""The plan's materialized views on a writable Trino: dropping an object of either kind, and the
bytes of a view's storage table (its data lives there, not under the view's name)."""

from __future__ import annotations

from jobs.db.trino_client import TrinoHttpClient, TrinoQueryError, stored_bytes
from jobs.sql.quoting import quote_literal

#: Trino 476 refuses ``DROP TABLE IF EXISTS`` of a materialized view (and the reverse), naming the other kind.
_OTHER_KIND = {"TABLE": "MATERIALIZED VIEW", "MATERIALIZED VIEW": "TABLE"}


def drop_object(client: TrinoHttpClient, kind: str, name: str, timeout: float) -> None:
    """Drop ``name`` if it exists, whether a table or a materialized view (an earlier plan may have
    made the other kind under the same name)."""
    try:
        client.execute(f"DROP {kind} IF EXISTS {name}", timeout=timeout)
    except TrinoQueryError as exc:
        other = _OTHER_KIND.get(kind)
        if other is None or f"DROP {other}" not in str(exc):
            raise
        client.execute(f"DROP {other} IF EXISTS {name}", timeout=timeout)


def storage_table(client: TrinoHttpClient, view: str) -> str | None:
    """``catalog.schema.table`` of a materialized view's storage table, or None when ``view`` is none."""
    catalog, schema, name = view.split(".")
    result = client.execute(
        "SELECT storage_catalog, storage_schema, storage_table FROM system.metadata.materialized_views "
        f"WHERE catalog_name = {quote_literal(catalog)} AND schema_name = {quote_literal(schema)} "
        f"AND name = {quote_literal(name)}"
    )
    if not result.rows or any(part is None for part in result.rows[0]):
        return None
    return ".".join(str(part) for part in result.rows[0])


def object_bytes(client: TrinoHttpClient, name: str, kind: str) -> int:
    """Stored bytes of a table, or of a materialized view's storage table."""
    if kind == "MATERIALIZED VIEW":
        storage = storage_table(client, name)
        return stored_bytes(client, storage) if storage is not None else 0
    return stored_bytes(client, name)
