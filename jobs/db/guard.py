"""The read-only guard: only one SELECT / SHOW / DESCRIBE / EXPLAIN statement reaches the driver.

Decided with sqlglot's tokenizer and parser, before anything is sent:

* exactly one statement (a trailing ``;`` and comments are fine);
* ``SHOW ...`` and ``DESCRIBE``/``DESC ...`` pass (both engines implement them as reads);
* ``EXPLAIN [(options)] <query>`` passes, but never ``EXPLAIN ANALYZE`` (it runs the statement);
* anything else must parse as a query (SELECT, WITH ... SELECT, set operations, VALUES) with no
  data-modifying part anywhere (PostgreSQL ``WITH d AS (DELETE ...)``, ``SELECT ... INTO``,
  ``FOR UPDATE``), and no pass-through table function (Trino ``TABLE(system.query(...))``, which
  runs its text on the connector's database unchecked). A query sqlglot cannot parse passes only
  if its tokens start like a query and hold no writing keyword at all.
"""

from __future__ import annotations

import itertools
import re

from sqlglot import Token, TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from jobs.sql.statements import WRITING_NODES

_DIALECTS = {"trino": "trino", "postgresql": "postgres"}
_PASSING_VERBS = frozenset({"SHOW", "DESCRIBE", "DESC"})
_QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "("})
#: Keywords that have no place in a read; used when sqlglot cannot parse the query.
_WRITING_KEYWORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP", "ALTER", "TRUNCATE",
        "GRANT", "REVOKE", "CALL", "COPY", "VACUUM", "REFRESH", "EXECUTE", "PREPARE", "DEALLOCATE",
        "COMMIT", "ROLLBACK", "INTO", "LOCK",
    }
)  # fmt: skip
#: Trino table functions that send their text, unchecked, to the database behind a connector.
_PASS_THROUGH_FUNCTIONS = frozenset({"QUERY", "RAW_QUERY"})


_NAME = r'(?:[a-z_][a-z0-9_$]*|"(?:[^"\'\x00]|""|\'\')+")'
_COLUMNS = rf"\({_NAME}(?:, {_NAME})*\)"
#: A partial index's predicate: a column, NOT a column, or a column = a literal (a string's quotes
#: are doubled once more inside the call's own string literal).
_PINNED = rf"(?:NOT )?{_NAME}(?: = (?:''(?:[^'\x00]|'''')*''|-?\d{{1,30}}(?:\.\d{{1,30}})?|TRUE|FALSE))?"
#: The only hypopg calls that pass (PostgreSQL): a hypothetical B-tree or BRIN (maybe partial) on a
#: named table, its size, and dropping them all. Hypothetical indexes live in the session's memory
#: and write nothing; any other statement naming a hypopg function is refused.
HYPOPG_CALLS = (
    re.compile(
        rf"SELECT indexrelid FROM hypopg_create_index\('CREATE INDEX ON {_NAME}(?:\.{_NAME}){{0,2}}"
        rf"(?: USING brin)? {_COLUMNS}(?: INCLUDE {_COLUMNS})?(?: WHERE {_PINNED})?'\)"
    ),
    re.compile(r"SELECT hypopg_relation_size\(\d{1,10}\)"),
    re.compile(r"SELECT hypopg_reset\(\)"),
)


class ReadOnlyViolation(ValueError):
    """A statement the read-only guard refused; it never reached the database."""


def _dialect(engine: str) -> Dialect:
    try:
        return Dialect.get_or_raise(_DIALECTS[engine])
    except KeyError:
        raise ValueError(f"unknown engine {engine!r}") from None


def _words(tokens: list[Token]) -> list[str]:
    return [token.text.upper() for token in tokens if token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)]


def check_read_only(sql: str, engine: str) -> str:
    """Return the one statement of ``sql`` (without a trailing ``;``) or raise :class:`ReadOnlyViolation`.

    >>> check_read_only("SELECT a FROM c.s.t; -- done", "trino")
    'SELECT a FROM c.s.t'
    >>> check_read_only("DELETE FROM c.s.t", "trino")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jobs.db.guard.ReadOnlyViolation: refused by the read-only guard: DELETE is not a read (only SELECT, SHOW, ...
    """
    dialect = _dialect(engine)
    try:
        tokens = dialect.tokenize(sql)
    except TokenError as exc:
        raise ReadOnlyViolation(f"refused by the read-only guard: the statement cannot be tokenized ({exc})") from None
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    statements = [statement for statement in statements if statement]
    if not statements:
        raise ReadOnlyViolation("refused by the read-only guard: the statement is empty")
    if len(statements) > 1:
        raise ReadOnlyViolation(f"refused by the read-only guard: {len(statements)} statements in one string")
    statement = statements[0]
    text = sql[statement[0].start : statement[-1].end + 1]
    if engine == "postgresql" and "hypopg" in text.lower():
        if any(call.fullmatch(text) for call in HYPOPG_CALLS):
            return text
        raise ReadOnlyViolation("refused by the read-only guard: only lakeopt's own what-if hypopg calls are allowed")
    _check_statement(text, statement, dialect)
    return text


def _check_statement(text: str, tokens: list[Token], dialect: Dialect) -> None:
    verb = tokens[0].text.upper()
    if verb in _PASSING_VERBS:
        return
    if verb == "EXPLAIN":
        _check_explain(text, tokens, dialect)
        return
    if verb not in _QUERY_STARTS:
        raise ReadOnlyViolation(
            f"refused by the read-only guard: {verb[:30]} is not a read "
            "(only SELECT, SHOW, DESCRIBE and EXPLAIN are allowed)"
        )
    for token, following in itertools.pairwise(tokens):
        if token.text.upper() in _PASS_THROUGH_FUNCTIONS and following.token_type == TokenType.L_PAREN:
            raise ReadOnlyViolation(
                f"refused by the read-only guard: {token.text} passes SQL through to another database unchecked"
            )
    try:
        parsed = dialect.parse(text)
    except ParseError:
        # Real workloads hold dialect slips sqlglot rejects; accept them only without any writing keyword.
        writing = sorted(set(_words(tokens)) & _WRITING_KEYWORDS)
        if writing:
            raise ReadOnlyViolation(f"refused by the read-only guard: the query contains {writing[0]}") from None
        return
    root = parsed[0] if len(parsed) == 1 else None
    if not isinstance(root, exp.Query | exp.Values):
        raise ReadOnlyViolation("refused by the read-only guard: the statement is not a query")
    for node in root.walk():
        if isinstance(node, WRITING_NODES):
            raise ReadOnlyViolation(f"refused by the read-only guard: the query contains {node.key.upper()}")
        if isinstance(node, exp.Select) and node.args.get("locks"):
            raise ReadOnlyViolation("refused by the read-only guard: the query takes row locks (FOR UPDATE/SHARE)")


def _check_explain(text: str, tokens: list[Token], dialect: Dialect) -> None:
    # sqlglot tokenizes EXPLAIN as a command whose rest is one string: tokenize the rest again.
    text = text[tokens[0].end + 1 :]
    try:
        tokens = [tokens[0], *dialect.tokenize(text)]
    except TokenError as exc:
        raise ReadOnlyViolation(f"refused by the read-only guard: the statement cannot be tokenized ({exc})") from None
    position = 1
    if position < len(tokens) and tokens[position].text.upper() in ("ANALYZE", "ANALYSE"):
        raise ReadOnlyViolation("refused by the read-only guard: EXPLAIN ANALYZE executes the statement")
    starts_query = position + 1 < len(tokens) and tokens[position + 1].text.upper() in ("SELECT", "WITH", "VALUES")
    if position < len(tokens) and tokens[position].token_type == TokenType.L_PAREN and not starts_query:
        depth = 0
        for index in range(position, len(tokens)):
            token = tokens[index]
            if token.token_type == TokenType.L_PAREN:
                depth += 1
            elif token.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    position = index + 1
                    break
            elif token.text.upper() in ("ANALYZE", "ANALYSE"):
                raise ReadOnlyViolation("refused by the read-only guard: EXPLAIN ANALYZE executes the statement")
        else:
            raise ReadOnlyViolation("refused by the read-only guard: EXPLAIN options are missing their ')'")
    # PostgreSQL's old form: EXPLAIN VERBOSE <query>.
    while position < len(tokens) and tokens[position].text.upper() == "VERBOSE":
        position += 1
    if position >= len(tokens):
        raise ReadOnlyViolation("refused by the read-only guard: EXPLAIN of nothing")
    inner = tokens[position:]
    _check_statement(text[inner[0].start :], inner, dialect)
