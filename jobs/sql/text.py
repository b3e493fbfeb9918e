"""Token-level clean-up of messy SQL text before it is parsed.

Real inputs end in ``;``, carry comments and dialect slips such as ``count()``. The fixes work on
sqlglot's Trino tokens (never on regexes), so string literals and comments are left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from jobs.sql.dialect import DIALECT, dialect

_SQL_WORDS = ("select ", "from ", "where ", "group by", "join ", "order by")


@dataclass
class CleanText:
    """Text ready to parse, and what was changed or noticed on the way."""

    text: str
    notes: list[str] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)


def tokenize(text: str, read: str = DIALECT) -> list[Token]:
    """Tokens of ``text`` in dialect ``read``; raises :class:`sqlglot.errors.SqlglotError` on unterminated literals."""
    return dialect(read).tokenize(text)


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace ``text[start:end]`` by each replacement (edits must not overlap).

    >>> splice("SELECT a FROM s.t", [(14, 15, "s_opt"), (7, 8, "b")])
    'SELECT b FROM s_opt.t'
    """
    out: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            raise ValueError("overlapping edits")
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def clean_sql(text: str, read: str = DIALECT) -> CleanText:
    """Strip trailing ``;`` and whitespace, turn ``count()`` into ``count(*)``, note swallowing ``--`` comments.

    >>> clean_sql("SELECT count() FROM t; ").text
    'SELECT count(*) FROM t'
    >>> clean_sql("SELECT ';' FROM t;;").text
    "SELECT ';' FROM t"
    >>> clean_sql("SELECT a FROM t -- old: FROM u WHERE x = 1").notes
    ["a '--' comment runs to the end of the line and hides: 'old: FROM u WHERE x = 1'"]
    """
    stripped = text.strip()
    notes: list[str] = []
    try:
        found = tokenize(stripped, read)
    except SqlglotError as exc:
        return CleanText(stripped.rstrip(";").rstrip(), [f"cannot be tokenized: {str(exc)[:120]}"], [])
    # Drop trailing semicolons (Trino rejects them) and anything after the last one but comments.
    while found and found[-1].token_type == TokenType.SEMICOLON:
        stripped = stripped[: found[-1].start].rstrip()
        found = found[:-1]
    edits: list[tuple[int, int, str]] = []
    for index in range(len(found) - 2):
        # Cheapest test first: this runs for every token of every query.
        if (
            found[index + 2].token_type == TokenType.R_PAREN
            and found[index + 1].token_type == TokenType.L_PAREN
            and found[index].text.lower() == "count"
        ):
            edits.append((found[index + 2].start, found[index + 2].start, "*"))
    if edits:
        notes.append("dialect slip fixed: count() read as count(*)")
        stripped = splice(stripped, edits)
        try:
            found = tokenize(stripped, read)
        except SqlglotError:
            found = []
    for line in stripped.splitlines() if "--" in stripped else ():
        head, dash, comment = line.partition("--")
        if dash and any(word in comment.lower() for word in _SQL_WORDS) and head.count("'") % 2 == 0:
            notes.append(f"a '--' comment runs to the end of the line and hides: {comment.strip()[:120]!r}")
    return CleanText(stripped, notes, found)
