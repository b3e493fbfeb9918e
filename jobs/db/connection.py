"""JDBC connections (jaydebeapi over JPype) with a per-statement timeout.

* :func:`connect` gives a :class:`ReadOnlyConnection`: every statement passes the read-only guard
  first. This is what the analyser uses.
* :func:`connect_writable` gives a :class:`WritableConnection` (DDL, INSERT...), meant only for the
  verification tool working on a sandbox.

Credentials travel as driver properties, never inside the URL handed to the driver. trino-jdbc
refuses to send a password over plain HTTP; for a Trino URL with a password but without
``SSL=true`` (typically the local sandbox, which has no authentication) the password is dropped,
the connection is made with the user alone, and :attr:`JdbcConnection.notes` says so. A Trino
URL without a user connects as ``lakeopt`` (Trino requires one).

Timeouts: ``Statement.setQueryTimeout`` on every statement (the driver cancels the query), plus a
server-side limit (PostgreSQL ``statement_timeout``, Trino ``query_max_run_time``) and
connect/socket timeouts, so neither a slow query nor a dead server blocks for ever. Every call
blocks; the ``*_async`` variants run it in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
import warnings
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from jobs.db.drivers import DRIVERS
from jobs.db.guard import check_read_only
from jobs.db.jvm import attach_current_thread, ensure_jvm
from jobs.db.query_result import QueryResult
from jobs.settings import Settings
from jobs.sql.jdbc_url import JdbcUrl, parse_jdbc_url, scrub

log = logging.getLogger(__name__)

#: warnings.catch_warnings is process-wide state: one connect at a time changes it.
_connect_lock = threading.Lock()
_TIMEOUT_MARKERS = ("timeout", "timed out", "canceling statement", "query_max_run_time", "exceeded maximum time")


class JdbcError(RuntimeError):
    """A driver or database error; the message is redacted (never holds the password)."""


class JdbcTimeout(JdbcError):
    """A statement ran past its timeout and was cancelled."""


def _java_message(exc: BaseException) -> str:
    get_message = getattr(exc, "getMessage", None)
    if callable(get_message):
        try:
            message = get_message()
        except Exception:  # a broken Java exception object; fall back to str()
            message = None
        if message:
            return str(message)
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if cause is not None and cause is not exc:
        return _java_message(cause)
    return str(exc) or type(exc).__name__


def to_jdbc_error(exc: BaseException, url: JdbcUrl | None) -> JdbcError:
    """Wrap any driver/JPype exception as a redacted :class:`JdbcError` (or :class:`JdbcTimeout`)."""
    if isinstance(exc, JdbcError):
        return exc
    message = scrub(" ".join(_java_message(exc).split()), url)[:1000]
    kind = JdbcTimeout if any(marker in message.lower() for marker in _TIMEOUT_MARKERS) else JdbcError
    return kind(message)


def _python_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    # Driver objects (PGobject for json, arrays, java.lang.Long...) as the database prints them.
    return str(value)


def driver_properties(url: JdbcUrl, timeout: float) -> tuple[dict[str, str], list[str]]:
    """The driver properties for ``url`` (credentials, timeouts) and notes about what was changed."""
    notes: list[str] = []
    properties = dict(url.params)
    seconds = max(1, math.ceil(timeout))
    if url.user is not None:
        properties["user"] = url.user
    if url.engine == "trino":
        if url.password is not None and url.ssl:
            properties["password"] = url.password
        elif url.password is not None:
            notes.append(
                "the Trino URL has a password but not SSL=true; trino-jdbc only sends passwords over TLS, "
                "so lakeopt connected with the user alone"
            )
        if "user" not in properties:
            properties["user"] = "lakeopt"
        session = properties.get("sessionProperties", "")
        if "query_max_run_time" not in session:
            limit = f"query_max_run_time:{seconds}s"
            properties["sessionProperties"] = f"{session};{limit}" if session else limit
        properties.setdefault("source", "lakeopt")
    else:
        if url.password is not None:
            properties["password"] = url.password
        properties.setdefault("connectTimeout", str(min(seconds, 30)))
        properties.setdefault("loginTimeout", str(min(seconds, 30)))
        properties.setdefault("socketTimeout", str(seconds + 30))
        properties.setdefault("ApplicationName", "lakeopt")
        if "options" not in properties:
            properties["options"] = f"-c statement_timeout={seconds * 1000}"
    return properties, notes


def _jaydebeapi() -> Any:
    with warnings.catch_warnings():
        # jaydebeapi 1.2.3 has a regex literal with an invalid escape; harmless, but warnings are errors in tests.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        import jaydebeapi
    return jaydebeapi


@functools.cache
def _timed_cursor_class() -> Any:
    jaydebeapi = _jaydebeapi()

    class TimedCursor(jaydebeapi.Cursor):  # type: ignore[misc,name-defined]
        """jaydebeapi's cursor with ``Statement.setQueryTimeout``; no parameters, no server-side PREPARE."""

        query_timeout = 0

        def execute(self, operation: str, parameters: Any = None) -> None:
            if parameters:
                raise jaydebeapi.NotSupportedError("lakeopt's cursor takes no statement parameters")
            if self._connection._closed:
                raise jaydebeapi.Error("the connection is closed")
            self._close_last()
            self._prep = self._connection.jconn.createStatement()
            self._prep.setQueryTimeout(self.query_timeout)
            is_result_set = self._prep.execute(operation)
            if is_result_set:
                self._rs = self._prep.getResultSet()
                self._meta = self._rs.getMetaData()
                self.rowcount = -1
            else:
                self.rowcount = self._prep.getUpdateCount()

    return TimedCursor


class JdbcConnection:
    """One open JDBC connection; calls are serialised (a JDBC connection is not for concurrent use)."""

    def __init__(self, raw: Any, url: JdbcUrl, timeout: float, notes: list[str]) -> None:
        self._raw = raw
        self.url = url
        self.timeout = timeout
        #: What :func:`connect` changed or could not honour (e.g. a dropped Trino password).
        self.notes = notes
        self._lock = threading.Lock()
        self._cursor_class = _timed_cursor_class()

    @property
    def engine(self) -> str:
        return self.url.engine

    def _run(self, sql: str, timeout: float | None) -> QueryResult:
        seconds = max(1, math.ceil(self.timeout if timeout is None else timeout))
        with self._lock:
            attach_current_thread()
            cursor = self._cursor_class(self._raw, self._raw._converters)
            cursor.query_timeout = seconds
            try:
                cursor.execute(sql)
                meta = cursor._meta
                if meta is None:
                    return QueryResult(columns=[])
                # Not cursor.description: it warns about every JDBC type it has no DB-API name for.
                columns = [str(meta.getColumnLabel(index)) for index in range(1, meta.getColumnCount() + 1)]
                rows: list[Sequence[Any]] = [tuple(_python_value(value) for value in row) for row in cursor.fetchall()]
                return QueryResult(columns, rows)
            except Exception as exc:
                raise to_jdbc_error(exc, self.url) from None
            finally:
                try:
                    cursor.close()
                except Exception:  # closing after a failure; the first error is what matters
                    log.debug("closing a cursor failed", exc_info=False)

    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one statement and fetch all its rows (blocking)."""
        return self._run(sql, timeout)

    async def query_async(self, sql: str, *, timeout: float | None = None) -> QueryResult:  # noqa: ASYNC109 (a statement timeout, not a wait)
        """:meth:`query` in a worker thread."""
        return await asyncio.to_thread(self.query, sql, timeout=timeout)

    def close(self) -> None:
        with self._lock:
            attach_current_thread()
            if not self._raw._closed:
                try:
                    self._raw.close()
                except Exception as exc:
                    log.debug("closing the connection failed: %s", to_jdbc_error(exc, self.url))

    async def close_async(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url.redacted()!r})"


class ReadOnlyConnection(JdbcConnection):
    """A connection whose every statement passes :func:`jobs.db.guard.check_read_only` first."""

    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        return self._run(check_read_only(sql, self.engine), timeout)


class WritableConnection(JdbcConnection):
    """A connection that runs anything (DDL, INSERT). Only for the verification tool, on a sandbox."""

    def execute(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one statement of any kind; rows if it returns some."""
        return self._run(sql, timeout)


def _open(url: JdbcUrl | str, settings: Settings, timeout: float | None, *, read_only: bool) -> Any:
    parsed = parse_jdbc_url(url) if isinstance(url, str) else url
    seconds = settings.jdbc_statement_timeout if timeout is None else timeout
    properties, notes = driver_properties(parsed, seconds)
    if read_only and parsed.engine == "postgresql":
        # Defence in depth: even a function with side effects runs in a read-only transaction.
        properties.setdefault("readOnly", "true")
        properties.setdefault("readOnlyMode", "always")
    for note in notes:
        log.warning("%s (%s)", note, parsed.redacted())
    ensure_jvm(settings)
    attach_current_thread()
    jaydebeapi = _jaydebeapi()
    try:
        with _connect_lock, warnings.catch_warnings():
            # jaydebeapi calls JPype's deprecated isThreadAttachedToJVM on every connect.
            warnings.simplefilter("ignore", DeprecationWarning)
            raw = jaydebeapi.connect(DRIVERS[parsed.engine].driver_class, parsed.driver_url(), properties)
    except Exception as exc:
        raise to_jdbc_error(exc, parsed) from None
    return parsed, raw, seconds, notes


def connect(url: JdbcUrl | str, settings: Settings, *, timeout: float | None = None) -> ReadOnlyConnection:
    """Open a read-only connection (blocking). ``timeout`` defaults to ``settings.jdbc_statement_timeout``.

    Raises :class:`JdbcError` (redacted) when the database refuses or cannot be reached, and
    :class:`jobs.sql.jdbc_url.JdbcUrlError` for a malformed URL string.
    """
    parsed, raw, seconds, notes = _open(url, settings, timeout, read_only=True)
    return ReadOnlyConnection(raw, parsed, seconds, notes)


def connect_writable(url: JdbcUrl | str, settings: Settings, *, timeout: float | None = None) -> WritableConnection:
    """Open a connection that may write: for the verification tool on a sandbox, never the analyser."""
    parsed, raw, seconds, notes = _open(url, settings, timeout, read_only=False)
    return WritableConnection(raw, parsed, seconds, notes)


async def connect_async(
    url: JdbcUrl | str,
    settings: Settings,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 (a statement timeout, not a wait)
) -> ReadOnlyConnection:
    """:func:`connect` in a worker thread."""
    return await asyncio.to_thread(connect, url, settings, timeout=timeout)
