"""Reads the ``.sql`` fixture pairs under ``fixtures/``: ``NAME.input.sql`` and ``NAME.expected.sql``.

Input sections (each starts with a ``-- `` marker line)::

    -- title: what the case shows
    -- profile: {"tables": {...}}          (optional, one line of DatabaseProfile JSON)
    -- ddl                                 (statements end with ';' at the end of a line)
    -- query ID [weight=N]                 (the query text follows, up to the next marker)

Expected sections: ``-- ddl contains``, ``-- migration contains``, ``-- recommendation contains``,
``-- no recommendation contains`` (each line of the body must / must not appear), and
``-- query ID`` (the exact rewritten text) or ``-- query ID baseline`` (only requalified).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jobs.contract.profile import DatabaseProfile
from jobs.contract.workload import Workload, parse_workload

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Fixture:
    name: str
    title: str
    workload: Workload
    profile: DatabaseProfile | None
    #: (kind, argument, body) in file order.
    expectations: list[tuple[str, str, str]] = field(default_factory=list)


def _sections(text: str) -> list[tuple[str, str]]:
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("-- "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '-- ' marker: {line!r}")
    return [(head, "\n".join(body).strip()) for head, body in sections]


def load_fixture(name: str) -> Fixture:
    title, profile, ddl, queries = "", None, [], []
    for head, body in _sections((FIXTURES / f"{name}.input.sql").read_text()):
        word, _, rest = head.partition(" ")
        if head.startswith("title:"):
            title = head.removeprefix("title:").strip()
        elif head.startswith("profile:"):
            profile = DatabaseProfile.model_validate(json.loads(head.removeprefix("profile:")))
        elif word == "ddl":
            ddl = [s.strip() for s in body.split(";\n") if s.strip()]
        elif word == "query":
            queryid, *options = rest.split()
            weight = float(options[0].removeprefix("weight=")) if options else 100.0
            queries.append({"queryid": queryid, "query": body, "runquantity": 10, "executiontime": weight / 10})
        else:
            raise ValueError(f"{name}.input.sql: unknown section {head!r}")
    if not title:
        raise ValueError(f"{name}.input.sql has no title")
    workload = parse_workload({"ddl": [{"statement": s} for s in ddl], "queries": queries})
    fixture = Fixture(name, title, workload, profile)
    for head, body in _sections((FIXTURES / f"{name}.expected.sql").read_text()):
        kind, _, argument = head.partition(" ")
        if kind == "no":
            kind, _, argument = argument.partition(" ")
            kind = "no " + kind
        fixture.expectations.append((kind, argument, body))
    return fixture


def fixture_names() -> list[str]:
    return sorted(p.name.removesuffix(".input.sql") for p in FIXTURES.glob("*.input.sql"))
