"""JDBC URL parsing and redaction: edge cases, and the password never shown."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.sql.jdbc_url import JdbcUrlError, parse_jdbc_url, redact_url, scrub


def test_trino_url_with_catalog_schema_and_ssl() -> None:
    url = parse_jdbc_url("jdbc:trino://trino.example.com:443/iceberg/sales?user=alice&password=s3(cr)et&SSL=true")
    assert (url.engine, url.host, url.port, url.catalog, url.schema) == (
        "trino",
        "trino.example.com",
        443,
        "iceberg",
        "sales",
    )
    assert (url.user, url.password, url.params, url.ssl) == ("alice", "s3(cr)et", {"SSL": "true"}, True)
    assert url.driver_url() == "jdbc:trino://trino.example.com:443/iceberg/sales"


def test_trino_url_without_path_and_login_alias() -> None:
    url = parse_jdbc_url("jdbc:trino://127.0.0.1:18080?login=lakeopt")
    assert (url.catalog, url.schema, url.user, url.password, url.ssl) == (None, None, "lakeopt", None, False)
    assert parse_jdbc_url("jdbc:trino://h:1/c/?user=u").catalog == "c"  # a trailing slash is harmless


def test_postgresql_url_and_default_ports() -> None:
    url = parse_jdbc_url("jdbc:postgresql://db.local/analytics?user=bob&password=p@ss&sslmode=require")
    assert (url.engine, url.port, url.database, url.user, url.password, url.ssl) == (
        "postgresql",
        5432,
        "analytics",
        "bob",
        "p@ss",
        True,
    )
    assert parse_jdbc_url("jdbc:trino://h").port == 8080
    assert parse_jdbc_url("JDBC:PostgreSQL://h:5433/d").engine == "postgresql"


def test_ipv6_host() -> None:
    url = parse_jdbc_url("jdbc:postgresql://[::1]:5433/d")
    assert (url.host, url.port) == ("[::1]", 5433)
    assert url.driver_url() == "jdbc:postgresql://[::1]:5433/d"


@pytest.mark.parametrize(
    ("raw", "password"),
    [
        ("s3(cr)et", "s3(cr)et"),  # parentheses as they are
        ("s3%28cr%29et", "s3(cr)et"),  # or percent-encoded
        ("100%25sure", "100%sure"),  # %25 is a literal percent
        ("50%off", "50%off"),  # a '%' without two hex digits stays literal
        ("tail%", "tail%"),
        ("a+b", "a+b"),  # '+' is not a space
        ("us@host", "us@host"),
        ("a&b", "a&b"),  # '&' then a piece without '=': glued back
        ("a%26b=c", "a&b=c"),  # '&' before something with '=' must be encoded
        ("caf%C3%A9", "café"),
        ("=lead", "=lead"),
    ],
)
def test_password_decoding_rules(raw: str, password: str) -> None:
    url = parse_jdbc_url(f"jdbc:trino://h:1?user=u&password={raw}&SSL=true")
    assert url.password == password
    assert url.params == {"SSL": "true"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("jdbc:mysql://h:3306/db?password=Zsecret1", "unsupported JDBC URL scheme 'jdbc:mysql:'"),
        ("postgresql://h/db?password=Zsecret1", "not a JDBC URL"),
        ("", "not a JDBC URL"),
        ("jdbc:trino://?password=Zsecret1", "has no host"),
        ("jdbc:trino://h:0?password=Zsecret1", "invalid port"),
        ("jdbc:trino://h:70000?password=Zsecret1", "invalid port"),
        ("jdbc:trino://h:80a/c?password=Zsecret1", "invalid port"),
        ("jdbc:trino://h:1/a/b/c?password=Zsecret1", "too many segments"),
        ("jdbc:postgresql://h/db/extra?password=Zsecret1", "too many segments"),
        ("jdbc:trino://h:1//s?password=Zsecret1", "empty segment"),
        ("jdbc:postgresql://bob:Zsecret1@h/db", "credentials before the host"),
        ("jdbc:trino://alice:Zsecret1/S3cret@127.0.0.1:1/c", "credentials before the host"),
        ("jdbc:trino://h:1/c?user=u#password=Zsecret1", "'#'"),
        ("jdbc:trino://h:1/c?user=u\ud800&password=Zsecret1", "lone surrogate"),
        ("jdbc:trino://h:1/c\udfff?password=Zsecret1", "lone surrogate"),
        ("jdbc:trino://h:1/c?password=Zsecret1&x=" + "a" * 5000, "longer than 4096"),
        ("jdbc:trino://h:1?Zsecret1", "has no '=value'"),
        ("jdbc:trino://h w:1?password=Zsecret1", "invalid host"),
        ("jdbc:trino://[::1?password=Zsecret1", "closing ']'"),
        ("jdbc:trino://h:1?user=a&login=b&password=Zsecret1", "user twice"),
        ("jdbc:trino://h:1?=x&password=Zsecret1", "empty name"),
        ("jdbc:trino://h:1?password=Zsecret1&password=Zsecret2", "password twice"),
    ],
)
def test_malformed_urls_name_the_problem_without_the_password(text: str, fragment: str) -> None:
    with pytest.raises(JdbcUrlError) as caught:
        parse_jdbc_url(text)
    assert fragment in str(caught.value)
    assert "Zsecret" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_repr_str_and_redacted_hide_the_password() -> None:
    url = parse_jdbc_url(
        "jdbc:trino://h:443/c?user=alice&password=Zs3(cr)et&SSL=true&SSLKeyStorePassword=Zkey&accessToken=Ztok&pwd=Zpwd&passwd=Zpwd"
    )
    for shown in (repr(url), str(url), url.redacted(), f"{url}", f"{url!r}"):
        assert "Zs3(cr)et" not in shown
        assert "Zkey" not in shown
        assert "Zpwd" not in shown
        assert "Ztok" not in shown
    assert url.redacted() == (
        "jdbc:trino://h:443/c?user=alice&password=***&SSL=true&SSLKeyStorePassword=***&accessToken=***&pwd=***&passwd=***"
    )
    # the redacted form is itself a valid URL of the same server
    again = parse_jdbc_url(url.redacted())
    assert (again.host, again.port, again.catalog, again.user, again.password) == ("h", 443, "c", "alice", "***")


def test_with_catalog_keeps_server_and_credentials() -> None:
    url = parse_jdbc_url("jdbc:postgresql://h:5/one?user=u&password=p")
    other = url.with_catalog("two")
    assert (other.database, other.host, other.port, other.user, other.password) == ("two", "h", 5, "u", "p")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jdbc:trino://h:1?user=a&password=s3(cr)et", "jdbc:trino://h:1?user=a&password=***"),
        ("url=jdbc:trino://h:1?password=x%y&SSL=true done", "url=jdbc:trino://h:1?password=***&SSL=true done"),
        ("password=a&b&SSL=true", "password=***&SSL=true"),
        ("'jdbc:postgresql://h/d?PASSWORD=Secret'", "'jdbc:postgresql://h/d?PASSWORD=***'"),
        ("jdbc:postgresql://h/d?sslpassword=k&user=u", "jdbc:postgresql://h/d?sslpassword=***&user=u"),
        ("postgresql://bob:pa(ss)@db:5432/x", "postgresql://bob:***@db:5432/x"),
        ("nothing to hide here: jdbc:trino://h:1?user=a", "nothing to hide here: jdbc:trino://h:1?user=a"),
    ],
)
def test_redact_url_in_free_text(text: str, expected: str) -> None:
    assert redact_url(text) == expected


def test_scrub_removes_the_literal_password_too() -> None:
    url = parse_jdbc_url("jdbc:postgresql://h/d?user=u&password=Zpw(1)")
    assert scrub("FATAL: auth for Zpw(1) failed; jdbc:postgresql://h/d?password=Zpw(1)", url) == (
        "FATAL: auth for *** failed; jdbc:postgresql://h/d?password=***"
    )


_PASSWORD_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))


@given(secret=st.text(_PASSWORD_CHARS, min_size=1, max_size=24))
def test_any_encoded_password_round_trips_and_is_never_shown(secret: str) -> None:
    password = "Zq9" + secret
    text = f"jdbc:trino://h:443/c?user=u&password={quote(password, safe='')}&SSL=true"
    url = parse_jdbc_url(text)
    assert url.password == password
    assert password not in url.redacted()
    assert password not in repr(url)
    assert password not in redact_url(text)
