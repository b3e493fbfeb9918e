"""The answer we ask the LLM for, and a defensive reader of what it actually sends back.

Servers without ``json_schema`` support answer in JSON mode or in free text with the JSON inside
(often in a Markdown fence); all three shapes are read the same way.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class RewriteProposal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sql: str = Field(description="One Trino SELECT query reading only the new schema's tables, fully qualified.")
    rationale: str = Field(default="", description="Why the rewrite is faster and returns the same rows.")


def rewrite_json_schema() -> dict[str, Any]:
    """The ``response_format`` for servers that support OpenAI structured output."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "rewrite_proposal",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"sql": {"type": "string"}, "rationale": {"type": "string"}},
                "required": ["sql", "rationale"],
                "additionalProperties": False,
            },
        },
    }


def _json_objects(text: str) -> list[Any]:
    """Every JSON value that starts at a ``{`` in ``text``, in order (whole text first)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    with contextlib.suppress(ValueError):
        found.append(json.loads(text))
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
            found.append(value)
        except ValueError:
            pass
        start = text.find("{", start + 1)
    return found


def parse_proposal(text: str) -> RewriteProposal:
    """The first ``{"sql": ..., "rationale": ...}`` object in ``text``, or :class:`ValueError`.

    >>> parse_proposal('Sure!\\n```json\\n{"sql": "SELECT 1", "rationale": "trivial"}\\n```').sql
    'SELECT 1'
    >>> parse_proposal('{"query": "SELECT 1"}')
    Traceback (most recent call last):
    ...
    ValueError: the answer holds no JSON object with a string "sql"
    """
    for value in _json_objects(text):
        if isinstance(value, dict) and isinstance(value.get("sql"), str):
            try:
                return RewriteProposal.model_validate(value)
            except ValidationError:
                continue
    raise ValueError('the answer holds no JSON object with a string "sql"')
