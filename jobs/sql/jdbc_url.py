"""Parsing the JDBC URLs lakeopt is given, and keeping their passwords out of sight.

Accepted forms::

    jdbc:trino://host[:port][/catalog[/schema]][?user=..&password=..&SSL=true&...]
    jdbc:postgresql://host[:port][/database][?user=..&password=..&...]

Rules for the query string (users paste real passwords, so be lenient where it is unambiguous):

* ``login=`` is an alias of ``user=``. Parameter names are case-sensitive except ``user``,
  ``login`` and ``password``, which are matched case-insensitively.
* Values are percent-decoded, but only valid ``%XX`` escapes are decoded: a ``%`` not followed
  by two hex digits stays literal (``50%off`` is ``50%off``). A literal ``%`` followed by two hex
  digits must be written ``%25``. ``+`` is literal (not a space), as are ``(``, ``)`` and ``@``.
* ``&`` separates parameters. A piece without ``=`` cannot be a parameter, so it is glued back to
  the previous value: ``password=a&b&SSL=true`` gives the password ``a&b``. A password with
  ``&`` followed by something containing ``=`` must encode the ``&`` as ``%26``.
* Credentials in the authority (``//user:pass@host``) are refused: use the query parameters.
  So is a ``#`` (a fragment means nothing to a driver; write ``%23`` inside a value), text that is
  not valid Unicode, and a URL longer than :data:`MAX_URL_LENGTH` characters.

Nothing here ever puts a password into a message, a ``repr`` or a ``str``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import quote

Engine = Literal["trino", "postgresql"]

DEFAULT_PORTS: dict[str, int] = {"trino": 8080, "postgresql": 5432}
REDACTED = "***"
#: The longest URL accepted; real JDBC URLs are well under 1 KiB.
MAX_URL_LENGTH = 4096

_SCHEME = re.compile(r"^jdbc:(?P<engine>[A-Za-z0-9_+.-]+)://(?P<rest>.*)$", re.DOTALL | re.IGNORECASE)
#: What a URL starts with, shown in errors only when it looks like a scheme (never arbitrary text).
_SCHEME_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,20}:(?:[A-Za-z][A-Za-z0-9+.-]{0,20}:)?")
_HEX2 = re.compile(r"%([0-9A-Fa-f]{2})")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$")
#: Parameter names whose values are secrets (password, sslpassword, SSLKeyStorePassword, accessToken...).
_SECRET_WORDS = r"pass|pwd|secret|token|credential"  # noqa: S105 - names, not a password
_SECRET_KEY = re.compile(_SECRET_WORDS, re.IGNORECASE)
#: ``key=value`` pairs of secrets inside free text, ``=`` and ``&`` also percent-encoded (a URL
#: echoed inside another one); the value runs to the next ``&``, blank or quote.
_SECRET_PARAM_IN_TEXT = re.compile(
    rf"(?P<key>[A-Za-z_]*(?:{_SECRET_WORDS})[A-Za-z_]*(?:=|%3D))"
    # An '&' followed by a piece without '=' is part of the value (see _split_query).
    r"(?P<value>(?:(?!%26)[^&\s\"'<>])*(?:&[^&=\s\"'<>]*(?=&|$|[\s\"'<>]))*)",
    re.IGNORECASE,
)
#: ``//user:password@`` in free text; the password may hold ``/`` and ``:``.
_USERINFO_IN_TEXT = re.compile(r"(?P<head>//[^/\s:@\"']+:)(?P<value>[^\s\"'<>@]*)(?=@)")


class JdbcUrlError(ValueError):
    """A JDBC URL lakeopt cannot use; the message names the problem and never holds the password."""


def percent_decode(value: str) -> str:
    """Decode valid ``%XX`` escapes (UTF-8); leave any other ``%`` as it is.

    >>> percent_decode("s3%28cr%29et")
    's3(cr)et'
    >>> percent_decode("50%off+more%2")
    '50%off+more%2'
    >>> percent_decode("caf%C3%A9")
    'café'
    """
    if "%" not in value:
        return value
    pieces: list[str] = []
    position = 0
    pending = bytearray()
    for match in _HEX2.finditer(value):
        if match.start() != position:
            pieces.append(pending.decode("utf-8", errors="replace"))
            pending.clear()
            pieces.append(value[position : match.start()])
        pending.append(int(match.group(1), 16))
        position = match.end()
    pieces.append(pending.decode("utf-8", errors="replace"))
    pieces.append(value[position:])
    return "".join(pieces)


def _split_query(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if "=" in piece:
            key, value = piece.split("=", 1)
            pairs.append((key, value))
        elif pairs:
            # No '=': not a parameter, so an '&' inside the previous value (e.g. a password).
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value}&{piece}")
        elif piece:
            raise JdbcUrlError("the first URL parameter has no '=value'")
    return pairs


@dataclass(frozen=True)
class JdbcUrl:
    """A parsed JDBC URL. ``str()``/``repr()`` show the redacted form only."""

    engine: Engine
    host: str
    port: int
    #: Trino catalog, or PostgreSQL database.
    catalog: str | None = None
    schema: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    #: Every other query parameter, decoded, in URL order (``SSL``, ``sslmode``...).
    params: dict[str, str] = field(default_factory=dict)

    @property
    def database(self) -> str | None:
        """The PostgreSQL database (the catalog slot)."""
        return self.catalog

    @property
    def ssl(self) -> bool:
        """Whether the URL asks for TLS (Trino ``SSL=true``, PostgreSQL ``ssl=true``/``sslmode``)."""
        for key, value in self.params.items():
            if key.lower() == "ssl" and value.lower() == "true":
                return True
            if key.lower() == "sslmode" and value.lower() not in ("disable", "allow"):
                return True
        return False

    def driver_url(self) -> str:
        """The URL handed to the driver: no query string, so no credentials (those go as properties)."""
        path = ""
        if self.catalog is not None:
            path = "/" + quote(self.catalog, safe="")
            if self.schema is not None:
                path += "/" + quote(self.schema, safe="")
        return f"jdbc:{self.engine}://{self.host}:{self.port}{path}"

    def with_catalog(self, catalog: str | None, schema: str | None = None) -> JdbcUrl:
        """The same server and credentials, another catalog (Trino) or database (PostgreSQL)."""
        return replace(self, catalog=catalog, schema=schema if catalog is not None else None)

    def redacted(self) -> str:
        """The URL with the password replaced by ``***`` (what logs, the store and the API show).

        >>> parse_jdbc_url("jdbc:trino://h:443/c?user=alice&password=s3(cr)et&SSL=true").redacted()
        'jdbc:trino://h:443/c?user=alice&password=***&SSL=true'
        """
        query: list[str] = []
        if self.user is not None:
            query.append("user=" + quote(self.user, safe="()@:,;$!*'"))
        if self.password is not None:
            query.append(f"password={REDACTED}")
        for key, value in self.params.items():
            shown = REDACTED if _SECRET_KEY.search(key) else quote(value, safe="()@:,;$!*'/")
            query.append(f"{key}={shown}")
        return self.driver_url() + ("?" + "&".join(query) if query else "")

    def __str__(self) -> str:
        return self.redacted()

    def __repr__(self) -> str:
        return f"JdbcUrl({self.redacted()!r})"


def parse_jdbc_url(text: str) -> JdbcUrl:
    """Parse a Trino or PostgreSQL JDBC URL, or raise :class:`JdbcUrlError`.

    >>> url = parse_jdbc_url("jdbc:trino://127.0.0.1:18080/iceberg/s?login=bob&password=p(a)ss%25")
    >>> (url.engine, url.host, url.port, url.catalog, url.schema, url.user, url.password)
    ('trino', '127.0.0.1', 18080, 'iceberg', 's', 'bob', 'p(a)ss%')
    >>> url
    JdbcUrl('jdbc:trino://127.0.0.1:18080/iceberg/s?user=bob&password=***')
    >>> parse_jdbc_url("jdbc:mysql://h/db?password=x")
    Traceback (most recent call last):
    ...
    jobs.sql.jdbc_url.JdbcUrlError: unsupported JDBC URL scheme 'jdbc:mysql:': lakeopt reads jdbc:trino:// and jdbc:postgresql://
    """
    if not isinstance(text, str):
        raise JdbcUrlError("the JDBC URL must be a string")
    if len(text) > MAX_URL_LENGTH:
        raise JdbcUrlError(f"the JDBC URL is longer than {MAX_URL_LENGTH} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JdbcUrlError("the JDBC URL is not valid Unicode text (it holds a lone surrogate)") from None
    stripped = text.strip()
    match = _SCHEME.match(stripped)
    if match is None:
        scheme = _SCHEME_LIKE.match(stripped)
        start = f" (starts with {scheme.group(0)!r})" if scheme else ""
        raise JdbcUrlError(
            f"not a JDBC URL{start}: expected jdbc:trino://host:port/... or jdbc:postgresql://host:port/database"
        )
    engine_name = match.group("engine").lower()
    if engine_name not in DEFAULT_PORTS:
        raise JdbcUrlError(
            f"unsupported JDBC URL scheme 'jdbc:{engine_name}:': lakeopt reads jdbc:trino:// and jdbc:postgresql://"
        )
    engine: Engine = "trino" if engine_name == "trino" else "postgresql"
    rest = match.group("rest")
    if "#" in rest:
        raise JdbcUrlError("the JDBC URL holds a '#': write it as %23 inside a value")
    location, _, query = rest.partition("?")
    authority, _, path = location.partition("/")
    # Anywhere before the query: 'alice:pa/ss@host' puts a '/' of the password before the '@'.
    if "@" in location:
        raise JdbcUrlError("credentials before the host ('user:password@host') are not supported: use ?user=&password=")
    host, port = _parse_authority(authority, engine)
    catalog, schema = _parse_path(path, engine)

    user: str | None = None
    password: str | None = None
    params: dict[str, str] = {}
    for raw_key, raw_value in _split_query(query):
        key = percent_decode(raw_key).strip()
        value = percent_decode(raw_value)
        lowered = key.lower()
        if not key:
            raise JdbcUrlError("a URL parameter has an empty name")
        if lowered in ("user", "login"):
            if user is not None and user != value:
                raise JdbcUrlError("the URL gives the user twice (user= and login=) with different values")
            user = value
        elif lowered == "password":
            if password is not None and password != value:
                raise JdbcUrlError("the URL gives the password twice with different values")
            password = value
        else:
            params[key] = value
    return JdbcUrl(engine, host, port, catalog, schema, user or None, password, params)


def _parse_authority(authority: str, engine: Engine) -> tuple[str, int]:
    if not authority:
        raise JdbcUrlError(f"the jdbc:{engine} URL has no host")
    host, port_text = authority, ""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise JdbcUrlError("the IPv6 host is missing its closing ']'")
        host, port_text = authority[: close + 1], authority[close + 1 :].removeprefix(":")
        if authority[close + 1 : close + 2] not in ("", ":"):
            raise JdbcUrlError("unexpected text after the IPv6 host")
    elif ":" in authority:
        host, port_text = authority.rsplit(":", 1)
    if not _HOST.match(host):
        raise JdbcUrlError(f"invalid host in the jdbc:{engine} URL: expected a name, an IPv4 or an [IPv6] address")
    if port_text == "":
        return host, DEFAULT_PORTS[engine]
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        # The port text is not shown: in a mistyped URL it may be part of a password.
        raise JdbcUrlError(f"invalid port in the jdbc:{engine} URL: expected 1-65535")
    return host, int(port_text)


def _parse_path(path: str, engine: Engine) -> tuple[str | None, str | None]:
    parts = [percent_decode(part) for part in path.split("/")] if path else []
    while parts and parts[-1] == "":
        parts.pop()  # a trailing slash
    if any(part == "" for part in parts):
        raise JdbcUrlError(f"the jdbc:{engine} URL path has an empty segment")
    limit = 2 if engine == "trino" else 1
    if len(parts) > limit:
        expected = "/catalog[/schema]" if engine == "trino" else "/database"
        raise JdbcUrlError(f"the jdbc:{engine} URL path has too many segments: expected {expected}")
    catalog = parts[0] if parts else None
    schema = parts[1] if len(parts) > 1 else None
    return catalog, schema


def redact_url(text: str) -> str:
    """Replace every password-like URL parameter and ``user:password@`` in ``text`` with ``***``.

    Works on any text (log lines, exception messages), not only on one clean URL. This is the one
    redaction every message that may carry user input goes through (API errors, logs, reports).

    >>> redact_url("connect failed: jdbc:trino://h:1?user=a&password=s3(cr)et&SSL=true (retrying)")
    'connect failed: jdbc:trino://h:1?user=a&password=***&SSL=true (retrying)'
    >>> redact_url("postgresql://bob:pa(ss)@db:5432/x, sslpassword=k")
    'postgresql://bob:***@db:5432/x, sslpassword=***'
    >>> redact_url("?user=u%23pwd%3Ds3cr3t%26SSL%3Dtrue, jdbc:trino://a:b/c:d@h")
    '?user=u%23pwd%3D***%26SSL%3Dtrue, jdbc:trino://a:***@h'
    """
    text = _SECRET_PARAM_IN_TEXT.sub(lambda m: m.group("key") + REDACTED, text)
    return _USERINFO_IN_TEXT.sub(lambda m: m.group("head") + REDACTED, text)


def scrub(text: str, url: JdbcUrl | None) -> str:
    """``redact_url`` plus removal of the literal password of ``url`` wherever it appears.

    >>> scrub("auth failed for secret pw(1)", parse_jdbc_url("jdbc:postgresql://h/d?user=u&password=pw(1)"))
    'auth failed for secret ***'
    """
    text = redact_url(text)
    if url is not None and url.password:
        for form in {url.password, quote(url.password, safe=""), quote(url.password, safe="()@:,;$!*'/")}:
            text = text.replace(form, REDACTED)
    return text
