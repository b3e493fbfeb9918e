"""The plan's materialized views on a writable Trino: dropping an object of either kind, and the
bytes of a view's storage table (its data lives there, not under the view's name)."""

from __future__ import annotations

from jobs.db.trino_client import TrinoClient, TrinoQueryError, stored_bytes
from jobs.sql.quoting import quote_literal, quote_name

#: Trino 476 refuses ``DROP TABLE IF EXISTS`` of a materialized view (and the reverse), naming the other kind.
_OTHER_KIND = {"TABLE": "MATERIALIZED VIEW", "MATERIALIZED VIEW": "TABLE"}


def drop_object(client: TrinoClient, kind: str, name: str, timeout: float) -> None:
    """Drop ``name`` if it exists, whether a table or a materialized view (an earlier plan may have
    made the other kind under the same name)."""
    try:
        client.execute(f"DROP {kind} IF EXISTS {name}", timeout=timeout)
    except TrinoQueryError as exc:
        other = _OTHER_KIND.get(kind)
        if other is None or f"DROP {other}" not in str(exc):
            raise
        client.execute(f"DROP {other} IF EXISTS {name}", timeout=timeout)


def storage_table(client: TrinoClient, view: str) -> str | None:
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


def object_bytes(client: TrinoClient, name: str, kind: str) -> int:
    """Stored bytes of a table, or of a materialized view's storage table.

    Trino 476 exposes no ``$files`` of a view's storage table, so its rows are written once more
    into a scratch ORC table beside it (the format the plan gives derived objects), measured and
    dropped: the same rows in the same format, hence about the same bytes (views are small).
    """
    if kind != "MATERIALIZED VIEW":
        return stored_bytes(client, name)
    storage = storage_table(client, name)
    if storage is None:
        return 0
    catalog, schema, table = name.split(".")
    scratch = f"{catalog}.{schema}.{quote_name(table + '__lakeopt_bytes')}"
    storage_name = ".".join(quote_name(part) for part in storage.split(".", 2))
    client.execute(f"DROP TABLE IF EXISTS {scratch}")
    try:
        client.execute(f"CREATE TABLE {scratch} WITH (format = 'ORC') AS SELECT * FROM {storage_name}")
        return stored_bytes(client, f"{catalog}.{schema}.{table}__lakeopt_bytes")
    finally:
        client.execute(f"DROP TABLE IF EXISTS {scratch}")
