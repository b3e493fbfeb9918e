"""The one Trino client for admin work, verification and the LLM gate's checks: the ``trino`` package
(DB-API) behind a small surface (:meth:`TrinoClient.execute` -> :class:`jobs.db.query_result.QueryResult`).

It speaks HTTPS, Basic and JWT auth, carries session properties on every statement and retries on
HTTP 502/503/504 (the package's ``max_attempts``). Profiling stays on JDBC (``jobs.db.connection``).
A JDBC URL's properties map onto it in :func:`client_from_jdbc_url`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import requests
import trino
from trino.auth import Authentication, BasicAuthentication, JWTAuthentication

from jobs.db.query_result import QueryResult
from jobs.sql.jdbc_url import JdbcUrlError, parse_jdbc_url
from jobs.sql.quoting import quote_name


class TrinoQueryError(RuntimeError):
    """Trino refused or failed a statement, or could not be reached; ``error_name`` is Trino's
    (``TABLE_NOT_FOUND``...), or ``CONNECTION`` / ``HTTP_ERROR`` for the transport."""

    def __init__(self, message: str, error_name: str | None = None, query_id: str | None = None) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.query_id = query_id


@dataclass(frozen=True)
class TrinoClient:
    """Run statements on one Trino. A password or token needs HTTPS, like every Trino client.

    >>> TrinoClient("127.0.0.1", 1, "u", password="p")
    Traceback (most recent call last):
    ...
    ValueError: Trino accepts a password or an access token only over HTTPS
    """

    host: str
    port: int
    user: str
    password: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    https: bool = False
    #: ``False`` (SSLVerification=NONE), ``True``, or a PEM bundle to trust.
    verify: bool | str = True
    session: dict[str, str] = field(default_factory=dict)
    client_tags: tuple[str, ...] = ()
    source: str = "lakeopt"
    #: Per HTTP request, seconds; a statement spans many requests.
    request_timeout: float = 120.0
    #: Attempts per request on 502/503/504 and dropped connections (with backoff).
    max_attempts: int = 3

    def __post_init__(self) -> None:
        if (self.password or self.access_token) and not self.https:
            raise ValueError("Trino accepts a password or an access token only over HTTPS")

    @property
    def http_url(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.host}:{self.port}"

    def _auth(self) -> Authentication | None:
        if self.access_token:
            return JWTAuthentication(self.access_token)
        return BasicAuthentication(self.user, self.password) if self.password else None

    def _connect(self, timeout: float | None) -> trino.dbapi.Connection:
        session = dict(self.session)
        if timeout is not None:
            # Trino itself cancels a statement that runs longer (no client-side polling deadline).
            session["query_max_run_time"] = f"{max(1, math.ceil(timeout))}s"
        return trino.dbapi.Connection(
            host=self.host,
            port=self.port,
            user=self.user,
            source=self.source,
            http_scheme="https" if self.https else "http",
            auth=self._auth(),
            verify=self.verify,
            session_properties=session,
            client_tags=list(self.client_tags) or None,
            request_timeout=self.request_timeout,
            max_attempts=self.max_attempts,
        )

    def execute(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one statement to completion and return all its rows; ``timeout`` bounds it (seconds)."""
        connection = self._connect(timeout)
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = cursor.fetchall()
            description = cursor.description or []
            stats: dict[str, Any] = dict(cursor.stats or {})
            return QueryResult(
                [d[0] for d in description],
                rows,
                [str(d[1]) for d in description],
                cursor.query_id,
                stats.get("elapsedTimeMillis"),
                stats,
            )
        except trino.exceptions.TrinoQueryError as exc:
            name = "TIMEOUT" if exc.error_name == "EXCEEDED_TIME_LIMIT" else exc.error_name
            raise TrinoQueryError(exc.message, name, exc.query_id) from exc
        except trino.exceptions.HttpError as exc:
            raise TrinoQueryError(f"Trino at {self.http_url} answered: {str(exc)[:300]}", "HTTP_ERROR") from exc
        except (requests.exceptions.RequestException, trino.exceptions.OperationalError) as exc:
            message = f"cannot reach Trino at {self.http_url} (no answer after {self.max_attempts} attempts)"
            raise TrinoQueryError(message, "CONNECTION") from exc
        finally:
            connection.close()  # type: ignore[no-untyped-call]  # the package leaves it unannotated

    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Same as :meth:`execute`; the name ``jobs.db`` connections use, so either fits one protocol."""
        return self.execute(sql, timeout=timeout)

    def scalar(self, sql: str) -> Any:
        result = self.execute(sql)
        return result.rows[0][0] if result.rows else None


def _session_properties(text: str) -> dict[str, str]:
    """The JDBC driver's ``sessionProperties=k1:v1;k2:v2``.

    >>> _session_properties("query_max_memory:1GB;iceberg.compression_codec:ZSTD")
    {'query_max_memory': '1GB', 'iceberg.compression_codec': 'ZSTD'}
    """
    pairs = [piece.split(":", 1) for piece in text.split(";") if piece.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise JdbcUrlError("sessionProperties must look like name:value;name:value")
    return {name.strip(): value.strip() for name, value in pairs}


def _verify(params: dict[str, str]) -> bool | str:
    if params.get("SSLVerification", "FULL").upper() == "NONE":
        return False
    store = params.get("SSLTrustStorePath")
    if store is None:
        return True
    if store.lower().endswith((".pem", ".crt", ".cer")):
        return store
    raise JdbcUrlError("SSLTrustStorePath must be a PEM file for lakeopt's Trino client (convert the JKS store)")


def client_from_jdbc_url(url: str, *, request_timeout: float = 120.0) -> TrinoClient:
    """The client for the Trino a ``jdbc:trino://`` URL names: ``user``, ``password``, ``SSL``,
    ``SSLVerification``, ``SSLTrustStorePath`` (PEM), ``accessToken`` (JWT), ``sessionProperties``,
    ``clientTags`` and ``source`` carry over (a password or token needs ``SSL=true``).

    >>> client_from_jdbc_url("jdbc:trino://127.0.0.1:18080?user=lakeopt").http_url
    'http://127.0.0.1:18080'
    >>> c = client_from_jdbc_url("jdbc:trino://h:443?user=a&password=s3(cr)et&SSL=true&sessionProperties=x:1")
    >>> c.http_url, c.session, "s3(cr)et" in repr(c)
    ('https://h:443', {'x': '1'}, False)
    """
    parsed = parse_jdbc_url(url)
    if parsed.engine != "trino":
        raise ValueError(f"a Trino URL is needed here, got a {parsed.engine} URL")
    params = parsed.params
    token = params.get("accessToken")
    return TrinoClient(
        parsed.host,
        parsed.port,
        parsed.user or "lakeopt",
        password=parsed.password,
        access_token=token,
        https=parsed.ssl,
        verify=_verify(params),
        session=_session_properties(params.get("sessionProperties", "")),
        client_tags=tuple(t for t in params.get("clientTags", "").split(",") if t),
        source=params.get("source", "lakeopt"),
        request_timeout=request_timeout,
    )


def stored_bytes(client: TrinoClient, table: str) -> int:
    """Bytes of an Iceberg table's current data files (its ``$files`` metadata table)."""
    catalog, schema, name = table.split(".")
    value = client.scalar(
        f"SELECT coalesce(sum(file_size_in_bytes), 0) FROM {catalog}.{schema}.{quote_name(name + '$files')}"
    )
    return int(value or 0)
