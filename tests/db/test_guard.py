"""The read-only guard: reads pass, everything else is refused before any driver sees it."""

from __future__ import annotations

import pytest

from jobs.db.guard import ReadOnlyViolation, check_read_only

ENGINES = ["trino", "postgresql"]

READS = [
    "SELECT a FROM c.s.t",
    "select a from c.s.t;",
    "SELECT a FROM c.s.t; -- trailing comment; with a semicolon",
    "/* leading */ SELECT 1",
    "WITH x AS (SELECT a FROM c.s.t) SELECT count(*) FROM x",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "SELECT 'a;b; DROP TABLE t' AS s",
    "VALUES 1, 2",
    "SHOW STATS FOR c.s.t",
    "SHOW TABLES FROM c.s",
    "DESCRIBE c.s.t",
    "EXPLAIN SELECT 1",
    "EXPLAIN (TYPE IO, FORMAT JSON) SELECT a FROM c.s.t WHERE a > 1",
    "EXPLAIN (FORMAT JSON) WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "EXPLAIN (SELECT 1)",
    "SELECT count() FROM c.s.t",  # a dialect slip sqlglot may not parse: still a read
]

WRITES = [
    ("DELETE FROM c.s.t", "DELETE is not a read"),
    ("INSERT INTO c.s.t VALUES (1)", "INSERT is not a read"),
    ("UPDATE c.s.t SET a = 1", "UPDATE is not a read"),
    ("MERGE INTO c.s.t USING c.s.u ON t.a = u.a WHEN MATCHED THEN DELETE", "MERGE is not a read"),
    ("CREATE TABLE c.s.x AS SELECT 1 AS a", "CREATE is not a read"),
    ("DROP TABLE c.s.t", "DROP is not a read"),
    ("ALTER TABLE c.s.t ADD COLUMN b int", "ALTER is not a read"),
    ("TRUNCATE TABLE c.s.t", "TRUNCATE is not a read"),
    ("GRANT SELECT ON c.s.t TO bob", "GRANT is not a read"),
    ("CALL system.sync_partition_metadata('s', 't', 'FULL')", "CALL is not a read"),
    ("SET SESSION query_max_run_time = '1h'", "SET is not a read"),
    ("SELECT 1; DROP TABLE c.s.t", "2 statements in one string"),
    ("SELECT 1;; SELECT 2", "2 statements in one string"),
    ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE executes"),
    ("explain analyze verbose select 1", "EXPLAIN ANALYZE executes"),
    ("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", "EXPLAIN ANALYZE executes"),
    ("EXPLAIN DELETE FROM c.s.t", "DELETE is not a read"),
    ("EXPLAIN (FORMAT JSON) SELECT 1; DROP TABLE c.s.t", "2 statements"),
    ("SELECT * FROM TABLE(pg.system.query(query => 'DELETE FROM t RETURNING *'))", "passes SQL through"),
    ("", "empty"),
    ("  ; -- nothing", "empty"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sql", READS)
def test_reads_pass(engine: str, sql: str) -> None:
    statement = check_read_only(sql, engine)
    assert not statement.rstrip().endswith(";")
    assert statement.strip()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("sql", "reason"), WRITES)
def test_writes_are_refused(engine: str, sql: str, reason: str) -> None:
    with pytest.raises(ReadOnlyViolation) as caught:
        check_read_only(sql, engine)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("WITH d AS (DELETE FROM s.t RETURNING *) SELECT * FROM d", "DELETE"),
        ("SELECT * INTO s.copy FROM s.t", "INTO"),
        ("SELECT * FROM s.t FOR UPDATE", "row locks"),
        ("COPY s.t TO '/tmp/x'", "COPY is not a read"),
        ("VACUUM s.t", "VACUUM is not a read"),
        ("DO $$ BEGIN DELETE FROM s.t; END $$", "DO is not a read"),
    ],
)
def test_postgresql_writes_hidden_in_reads_are_refused(sql: str, reason: str) -> None:
    with pytest.raises(ReadOnlyViolation) as caught:
        check_read_only(sql, "postgresql")
    assert reason in str(caught.value)


def test_unparseable_query_with_a_writing_keyword_is_refused() -> None:
    # sqlglot cannot parse this; the token fallback still sees INSERT.
    with pytest.raises(ReadOnlyViolation, match="INSERT"):
        check_read_only("SELECT count() FROM (INSERT INTO c.s.t VALUES (1))", "trino")


def test_returned_statement_is_the_one_statement() -> None:
    assert check_read_only("  SELECT 1 ;  ", "trino") == "SELECT 1"
    assert check_read_only("EXPLAIN (TYPE IO) SELECT 1;", "trino") == "EXPLAIN (TYPE IO) SELECT 1"


def test_unknown_engine_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        check_read_only("SELECT 1", "mysql")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a, \"B\") INCLUDE (c)')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t USING brin (at)')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a) WHERE status = ''o''''pen''')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a) WHERE NOT done')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a) WHERE code = -12.5')",
        "SELECT hypopg_relation_size(13556)",
        "SELECT hypopg_reset()",
    ],
)
def test_the_what_if_hypopg_calls_pass(sql: str) -> None:
    assert check_read_only(sql, "postgresql") == sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT hypopg_drop_index(1)",
        "SELECT * FROM hypopg_list_indexes",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a); DROP TABLE d.s.t')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a)') WHERE pg_sleep(9) IS NULL",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a) WHERE pg_sleep(9) IS NULL')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t (a) WHERE s = ''x''); DROP TABLE t; --')",
        "SELECT indexrelid FROM hypopg_create_index('CREATE INDEX ON d.s.t USING hash (a)')",
        "SELECT a, hypopg_reset() FROM d.s.t",
    ],
)
def test_every_other_hypopg_call_is_refused(sql: str) -> None:
    with pytest.raises(ReadOnlyViolation, match="hypopg"):
        check_read_only(sql, "postgresql")
