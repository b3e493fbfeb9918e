"""A minimal client for Trino's HTTP statement protocol (``POST /v1/statement``), for admin work.

Loading data and timing queries need no JVM on the client side: this speaks the REST protocol
with httpx. User-facing analysis goes through JDBC (``jobs.db``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from jobs.db.query_result import QueryResult
from jobs.sql.jdbc_url import parse_jdbc_url
from jobs.sql.quoting import quote_name


class TrinoQueryError(RuntimeError):
    """Trino refused or failed a statement; ``error_name`` is Trino's (e.g. ``TABLE_NOT_FOUND``)."""

    def __init__(self, message: str, error_name: str | None = None, query_id: str | None = None) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.query_id = query_id


@dataclass(frozen=True)
class TrinoHttpClient:
    """Run statements over HTTP(S). ``password`` needs HTTPS, like every Trino client.

    >>> TrinoHttpClient("http://127.0.0.1:1", "u", password="p").auth is None
    Traceback (most recent call last):
    ...
    ValueError: Trino accepts a password only over HTTPS
    """

    base_url: str
    user: str
    password: str | None = None
    verify_tls: bool = True
    #: Per HTTP request, seconds; a statement may span many requests.
    request_timeout: float = 120.0
    session: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.password and not self.base_url.startswith("https://"):
            raise ValueError("Trino accepts a password only over HTTPS")

    @property
    def auth(self) -> httpx.BasicAuth | None:
        return httpx.BasicAuth(self.user, self.password) if self.password else None

    def _headers(self) -> dict[str, str]:
        headers = {"X-Trino-User": self.user, "X-Trino-Source": "lakeopt"}
        if self.session:
            headers["X-Trino-Session"] = ",".join(f"{key}={value}" for key, value in self.session.items())
        return headers

    def execute(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one statement to completion and return all its rows.

        ``timeout`` bounds the whole statement (seconds); on expiry the query is cancelled.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with httpx.Client(auth=self.auth, verify=self.verify_tls, timeout=self.request_timeout) as http:
            response = http.post(f"{self.base_url}/v1/statement", content=sql.encode(), headers=self._headers())
            payload = _json(response)
            columns: list[str] = []
            types: list[str] = []
            rows: list[Sequence[Any]] = []
            while True:
                error = payload.get("error")
                if error:
                    raise TrinoQueryError(str(error.get("message", error)), error.get("errorName"), payload.get("id"))
                if not columns and payload.get("columns"):
                    columns = [column["name"] for column in payload["columns"]]
                    types = [column["type"] for column in payload["columns"]]
                rows.extend(payload.get("data") or [])
                next_uri = payload.get("nextUri")
                if not next_uri:
                    stats = payload.get("stats") or {}
                    elapsed = stats.get("elapsedTimeMillis")
                    return QueryResult(columns, rows, types, payload.get("id"), elapsed, stats)
                if deadline is not None and time.monotonic() > deadline:
                    http.delete(next_uri)
                    raise TrinoQueryError(f"statement exceeded {timeout:.0f} s and was cancelled", "TIMEOUT")
                payload = _json(http.get(next_uri, headers=self._headers()))

    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Same as :meth:`execute`; the name ``jobs.db`` connections use, so either fits one protocol."""
        return self.execute(sql, timeout=timeout)

    def scalar(self, sql: str) -> Any:
        result = self.execute(sql)
        return result.rows[0][0] if result.rows else None


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 503:
        raise TrinoQueryError("Trino is not ready (HTTP 503)", "SERVER_STARTING_UP")
    if response.status_code != 200:
        raise TrinoQueryError(f"Trino answered HTTP {response.status_code}: {response.text[:300]}", "HTTP_ERROR")
    data = response.json()
    if not isinstance(data, dict):
        raise TrinoQueryError("Trino answered with a non-object JSON document", "HTTP_ERROR")
    return data


def client_from_jdbc_url(url: str, *, request_timeout: float = 120.0) -> TrinoHttpClient:
    """An HTTP client for the Trino a ``jdbc:trino://`` URL names (``SSL=true`` -> HTTPS).

    >>> client_from_jdbc_url("jdbc:trino://127.0.0.1:18080?user=lakeopt").base_url
    'http://127.0.0.1:18080'
    """
    parsed = parse_jdbc_url(url)
    if parsed.engine != "trino":
        raise ValueError(f"a Trino URL is needed here, got a {parsed.engine} URL")
    scheme = "https" if parsed.ssl else "http"
    verify = parsed.params.get("SSLVerification", "FULL").upper() not in ("NONE",)
    return TrinoHttpClient(
        f"{scheme}://{parsed.host}:{parsed.port}",
        parsed.user or "lakeopt",
        password=parsed.password,
        verify_tls=verify,
        request_timeout=request_timeout,
    )


def stored_bytes(client: TrinoHttpClient, table: str) -> int:
    """Bytes of an Iceberg table's current data files (its ``$files`` metadata table)."""
    catalog, schema, name = table.split(".")
    value = client.scalar(
        f"SELECT coalesce(sum(file_size_in_bytes), 0) FROM {catalog}.{schema}.{quote_name(name + '$files')}"
    )
    return int(value or 0)
