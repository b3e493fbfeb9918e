"""schema.graphql is generated from the code; this fails when the two drift apart."""

from __future__ import annotations

from pathlib import Path

from gql_app.graphql_schema import create_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    expected = create_schema().as_str() + "\n"
    assert SCHEMA_FILE.read_text() == expected, "run: python -m gql_app.export_schema > schema.graphql"
