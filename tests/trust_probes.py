"""Probes of a running lakeopt: hand-made bad inputs, a password in every URL position, and
``/healthz`` latency while a huge workload is submitted. Shared by the tests and
``scripts/bench_trust.py`` (which prints the figures)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import redis

PASSWORD = "Sup3r(S3cret)%"
#: Fragments that must never appear anywhere: the password, its URL-encoded form, its core.
SECRET_FRAGMENTS = (PASSWORD, quote(PASSWORD, safe=""), "Sup3r", "S3cret")

DDL = [{"statement": "CREATE TABLE c.s.t (a integer, b varchar)"}]
QUERY = {"queryid": "q1", "query": "SELECT a FROM c.s.t"}
SUBMIT = "mutation($i: TaskInput!) { submitTask(input: $i) { __typename ... on InputError { message } } }"


def workload(**overrides: object) -> dict[str, object]:
    return {"ddl": DDL, "queries": [QUERY], **overrides}


def secret_urls() -> list[str]:
    """The password in every position a user may put it (all refused or redacted, never echoed)."""
    p, e = PASSWORD, quote(PASSWORD, safe="")
    return [
        f"jdbc:trino://127.0.0.1:1/c?user=u&password={p}",
        f"jdbc:trino://127.0.0.1:1/c?user=u&password={e}",
        f"jdbc:trino://alice:{p}@127.0.0.1:1/c",
        "jdbc:trino://alice:Sup3r/S3cret@127.0.0.1:1/c",
        f"jdbc:trino://127.0.0.1:1/c?user=u#password={p}",
        f"jdbc:trino://127.0.0.1:1/c?user=u&pwd={p}",
        f"jdbc:trino://127.0.0.1:1/c?user=u&passwd={p}",
        f"jdbc:trino://127.0.0.1:1/c?user=u%26password%3D{e}",
        f"jdbc:trino://127.0.0.1:1/c?user=u&p%61ssword={e}",
        f"jdbc:trino://127.0.0.1:notaport/c?user=u&password={p}",
        f"jdbc:trino://127.0.0.1:1/c?user=u&SSLKeyStorePassword={p}&SSL=true",
        f"jdbc:postgresql://127.0.0.1:1/db?user=u&password={p}",
    ]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@dataclass
class Tally:
    tried: int = 0
    client_errors: int = 0
    server_errors: int = 0
    unexpected: list[str] = field(default_factory=list)

    def record(self, label: str, response: httpx.Response) -> None:
        self.tried += 1
        if response.status_code >= 500:
            self.server_errors += 1
            self.unexpected.append(f"{label}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400 or _graphql_refused(response):
            self.client_errors += 1
        else:
            self.unexpected.append(f"{label}: accepted with {response.status_code} {response.text[:200]}")


def _graphql_refused(response: httpx.Response) -> bool:
    """A GraphQL 200 that refuses: errors, or a typed InputError."""
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or "errors" in body:
        return isinstance(body, dict)
    data = body.get("data") or {}
    return any(isinstance(v, dict) and v.get("__typename") == "InputError" for v in data.values())


def bad_requests() -> Iterator[tuple[str, str, bytes | str, dict[str, str]]]:
    """(label, path, body, headers) of inputs every one of which must get a 4xx (or typed error)."""
    js = {"content-type": "application/json"}
    huge_int = "9" * 4301
    rest_bodies = {
        "nested 100k": _nested(100_000),
        "nested 100k in a field": '{"ddl": ' + _nested(100_000) + "}",
        "runquantity 4301 digits": json.dumps(workload())[:-3] + f', "runquantity": {huge_int}}}]}}',
        "runquantity 400 digits": json.dumps(workload(queries=[{**QUERY, "runquantity": int("9" * 400)}])),
        "runquantity negative": json.dumps(workload(queries=[{**QUERY, "runquantity": -1}])),
        "executiontime Infinity": json.dumps(workload())[:-3] + ', "executiontime": Infinity}]}',
        "executiontime NaN": json.dumps(workload())[:-3] + ', "executiontime": NaN}]}',
        "executiontime 1e309": json.dumps(workload())[:-3] + ', "executiontime": 1e309}]}',
        "surrogate in user": json.dumps(workload(url="jdbc:trino://h:1/c?user=\ud800x")),
        "surrogate in catalog": json.dumps(workload(url="jdbc:trino://h:1/\udc00c?user=u")),
        "1 MB url": json.dumps(workload(url="jdbc:trino://h:1/c?user=" + "a" * 1_000_000)),
        "not UTF-8": b'{"ddl": "\xff\xfe"}',
        "not JSON": "{ddl:",
        "array": "[]",
        "empty": "",
        "string ddl": json.dumps({"ddl": "x", "queries": "y"}),
        "no queries": json.dumps({"ddl": DDL, "queries": []}),
        "bad ddl": json.dumps(workload(ddl=[{"statement": "CREATE TABLE ((("}])),
        **{f"secret url {i}": json.dumps(workload(url=url, queries=[])) for i, url in enumerate(secret_urls())},
    }
    for label, body in rest_bodies.items():
        yield f"REST {label}", "/new", body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body, js

    def gql(query: str, variables: object = None) -> str:
        return json.dumps({"query": query, "variables": variables})

    aliases = " ".join(
        f'a{i}: task(id: "00000000-0000-0000-0000-00000000000{i % 10}") {{ __typename }}' for i in range(1000)
    )
    spreads = "fragment F on Query { __typename } query { " + " ".join(["...F"] * 10_000) + " }"
    graphql_bodies: dict[str, bytes | str] = {
        "variables nested 100k": '{"query": "query { __typename }", "variables": {"x": ' + _nested(100_000) + "}}",
        "body nested 100k": _nested(100_000),
        "not UTF-8": b'{"query": "\xff"}',
        "1000 aliases": gql("query { " + aliases + " }"),
        "10000 fragment spreads": gql(spreads),
        "deep selection": gql(
            "query { " + "__schema { types { fields { type { ofType " * 8 + "{ name }" + " }" * 40 + "}"
        ),
        "two submitTask": gql(
            "mutation($i: TaskInput!) { a: submitTask(input: $i) { __typename }"
            " b: submitTask(input: $i) { __typename } }",
            {"i": workload()},
        ),
        "runquantity 400 digits": gql(SUBMIT, {"i": workload(queries=[{**QUERY, "runquantity": int("9" * 400)}])}),
        "runquantity 4301 digits": '{"query": "'
        + SUBMIT
        + '", "variables": {"i": {"ddl": [], "queries": [{"queryid": "q", "query": "x", "runquantity": '
        + huge_int
        + "}]}}}",
        "executiontime 1e309": gql(SUBMIT, {"i": workload()})[:-5] + ', "executiontime": 1e309}]}}}',
        "surrogate in user": gql(SUBMIT, {"i": workload(url="jdbc:trino://h:1/c?user=\ud800")}),
        "1 MB url": gql(SUBMIT, {"i": workload(url="jdbc:trino://h:1/c?user=" + "a" * 1_000_000)}),
        "9 MiB body": gql(SUBMIT, {"i": workload(ddl=[{"statement": "x" * 9 * 1024 * 1024}])}),
        **{f"secret url {i}": gql(SUBMIT, {"i": workload(url=url, queries=[])}) for i, url in enumerate(secret_urls())},
        **{
            f"inline secret url {i}": gql(
                "mutation { submitTask(input: {url: " + json.dumps(url) + ", ddl: [], queries: []}) { __typename } }"
            )
            for i, url in enumerate(secret_urls())
        },
    }
    for label, body in graphql_bodies.items():
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        yield f"GraphQL {label}", "/graphql", raw, js


def probe_bad_inputs(base_url: str) -> tuple[Tally, list[str]]:
    """Send every bad request; returns the tally and every response body (for the secret grep)."""
    tally, bodies = Tally(), []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for label, path, body, headers in bad_requests():
            response = client.post(path, content=body, headers=headers)
            tally.record(label, response)
            bodies.append(response.text)
    return tally, bodies


def secret_hits(texts: list[str | bytes]) -> list[str]:
    """Which secret fragments occur in any of ``texts``."""
    hits = []
    for text in texts:
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        hits.extend(f for f in SECRET_FRAGMENTS if f.encode() in data)
    return hits


def redis_contents(url: str) -> list[bytes]:
    """Every key, value and DUMP of the Redis database at ``url``."""
    client = redis.Redis.from_url(url)
    found: list[bytes] = []
    for key in client.keys("*"):
        found.append(key)
        dumped = client.dump(key)
        if dumped is not None:
            found.append(dumped)
        if client.type(key) == b"string":
            found.append(client.get(key) or b"")
    client.close()
    return found


def disk_files(*roots: Path) -> list[bytes]:
    """The bytes of every file under ``roots`` (SQLite file and WAL, logs, secret.key, any dump.rdb)."""
    return [p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file()]


def big_workload(statements: int = 40_001, table: str = "t") -> bytes:
    """``statements`` CREATE TABLEs; another ``table`` prefix gives statements no cache has seen."""
    ddl = [
        {"statement": f"CREATE TABLE c.s.{table}{i} (id bigint, name varchar, amount decimal(12,2))"}
        for i in range(statements)
    ]
    query = {"queryid": "q1", "query": f"SELECT id FROM c.s.{table}0", "runquantity": 1}
    return json.dumps({"ddl": ddl, "queries": [query]}).encode()


def healthz_during(base_url: str, path: str, body: bytes) -> tuple[float, httpx.Response, float]:
    """Post ``body`` to ``path`` while polling /healthz; (worst /healthz seconds, response, submit seconds)."""
    worst = 0.0
    done = threading.Event()

    def poll() -> None:
        nonlocal worst
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while not done.is_set():
                started = time.monotonic()
                client.get("/healthz")
                worst = max(worst, time.monotonic() - started)
                time.sleep(0.02)

    poller = threading.Thread(target=poll)
    with httpx.Client(base_url=base_url, timeout=120) as client:
        poller.start()
        time.sleep(0.1)
        started = time.monotonic()
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        took = time.monotonic() - started
        time.sleep(0.1)
    done.set()
    poller.join()
    return worst, response, took
