"""``lakeopt sandbox load --from URL``: a consistent sample of a Trino the user may read, in the sandbox.

Only reads go to the source, each through the read-only guard (:func:`jobs.db.guard.check_read_only`):
row counts, then each table's sample (:mod:`jobs.sandbox.sample_plan`). The rows come back to
this process and go into the sandbox's tables of the same names as ``INSERT ... VALUES`` batches,
so the workload and its plan run there unchanged. Filter literals keep matching: a literal the
sample lost gets a few of its rows copied too. Once the SQL sent passes the byte cap, the tables
not yet copied stay empty (the report says which).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jobs.contract.workload import Workload
from jobs.db.guard import check_read_only
from jobs.db.trino_client import TrinoClient, TrinoQueryError, stored_bytes
from jobs.sandbox.data_shape import TableSpec
from jobs.sandbox.query_facts import QueryFacts, collect_query_facts
from jobs.sandbox.sample_plan import TableSample, plan_samples
from jobs.sandbox.workload_loader import LoadError, LoadReport, TableLoad, create_tables, table_specs
from jobs.sql.quoting import quote_literal, quote_name

#: Tables of at most this many rows are copied whole (dimensions, hubs, lookups).
SMALL_TABLE_ROWS = 10_000
#: Rows copied for a filter literal the sample lost.
ROWS_PER_LOST_LITERAL = 20
#: Rows and SQL characters per INSERT into the sandbox.
BATCH_ROWS = 5_000
BATCH_CHARS = 900_000  # under Trino's query.max-length (1,000,000)
QUERY_TIMEOUT = 600.0


@dataclass(frozen=True)
class SampleOptions:
    fraction: float = 0.1
    max_rows: int = 1_000_000
    max_bytes: int = 2 * 1024**3
    small_rows: int = SMALL_TABLE_ROWS


def sql_value(value: object, type_name: str) -> str:
    """A Trino literal of ``value`` (as the ``trino`` client returns it) for a column of ``type_name``.

    >>> sql_value("o'hare", "varchar(10)"), sql_value(None, "date"), sql_value(1.5, "double")
    ("'o''hare'", 'NULL', "CAST('1.5' AS double)")
    >>> sql_value(dt.datetime(2024, 5, 1, 8, 30), "timestamp(3)"), sql_value(decimal.Decimal("2.50"), "decimal(9,2)")
    ("CAST('2024-05-01 08:30:00.000000' AS timestamp(3))", "CAST('2.50' AS decimal(9,2))")
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str) and type_name.startswith(("varchar", "char")):
        return quote_literal(value)
    if isinstance(value, bytes):
        return f"FROM_HEX('{value.hex()}')"
    return f"CAST({quote_literal(_text(value, type_name))} AS {type_name})"


def _text(value: object, type_name: str) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return str(value) if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        if value.tzinfo is None:
            return text
        zone = getattr(value.tzinfo, "key", None)
        return f"{text} {zone}" if zone else f"{text} {value.strftime('%z')[:3]}:{value.strftime('%z')[3:]}"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | decimal.Decimal | str | uuid.UUID):
        return str(value)
    raise LoadError(f"a {type_name} value cannot be copied yet (only scalar columns): {type(value).__name__}")


def _read(source: TrinoClient, sql: str) -> list[tuple[object, ...]]:
    try:
        return [tuple(row) for row in source.execute(check_read_only(sql, "trino"), timeout=QUERY_TIMEOUT).rows]
    except TrinoQueryError as exc:
        raise LoadError(f"reading the source failed: {exc}") from exc


def _insert(target: TrinoClient, spec: TableSpec, rows: Sequence[tuple[object, ...]]) -> int:
    """Insert ``rows`` in batches; the characters of SQL sent (the byte cap's measure)."""
    names = ", ".join(quote_name(c.name) for c in spec.columns)
    sent = 0
    batch: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal batch, size
        if batch:
            try:
                target.execute(f"INSERT INTO {spec.name} ({names}) VALUES {', '.join(batch)}", timeout=QUERY_TIMEOUT)
            except TrinoQueryError as exc:
                raise LoadError(f"inserting into {spec.name} failed: {exc}") from exc
        batch, size = [], 0

    for row in rows:
        values = "(" + ", ".join(sql_value(v, c.type) for v, c in zip(row, spec.columns, strict=True)) + ")"
        batch.append(values)
        size += len(values)
        sent += len(values)
        if len(batch) >= BATCH_ROWS or size >= BATCH_CHARS:
            flush()
    flush()
    return sent


NUMERIC_TYPES = ("tinyint", "smallint", "integer", "bigint", "real", "double", "decimal")


def number_literal(number: float) -> str:
    """A SQL number for a literal the workload compares a column with.

    >>> number_literal(3.0), number_literal(-2.5)
    ('3', '-2.5')
    """
    return str(int(number)) if number.is_integer() else repr(number)


def _wanted_literals(column_name: str, type_name: str, facts: QueryFacts) -> dict[object, str]:
    """The values ``=``/``IN`` filters look for in a column, each with its SQL literal."""
    name = column_name.lower()
    if type_name.startswith(("varchar", "char")):
        return {text: quote_literal(text) for text in facts.strings.get(name, set())}
    if type_name.startswith(NUMERIC_TYPES):
        return {number: number_literal(number) for number in facts.equal_numbers.get(name, set())}
    return {}


def _held(values: list[object], type_name: str) -> set[object]:
    if type_name.startswith(NUMERIC_TYPES):  # Decimal('2.50') holds the literal 2.5
        return {float(str(v)) for v in values if v is not None}
    return set(values)


def _lost_literal_rows(
    source: TrinoClient, spec: TableSpec, select: str, rows: list[tuple[object, ...]], facts: QueryFacts
) -> list[tuple[object, ...]]:
    """Rows for each filter literal (string or number) of a column of ``spec`` that no sampled row holds."""
    extra: list[tuple[object, ...]] = []
    for index, column in enumerate(spec.columns):
        wanted = _wanted_literals(column.name, column.type, facts)
        if not wanted:
            continue
        held = _held([row[index] for row in rows], column.type)
        for value in sorted(set(wanted) - held, key=str):
            where = f"{quote_name(column.name)} = {wanted[value]}"
            extra += _read(source, f"{select} WHERE {where} LIMIT {ROWS_PER_LOST_LITERAL}")
    return extra


def copy_sample(
    source: TrinoClient,
    target: TrinoClient,
    workload: Workload,
    options: SampleOptions,
    *,
    on_table: Callable[[TableLoad], None] | None = None,
) -> LoadReport:
    """Create the workload's tables in ``target`` and fill them with a sample of ``source``'s."""
    started = time.monotonic()
    tables = create_tables(target, workload)
    specs = table_specs(target, tables)
    row_counts = {spec.name: int(str(_read(source, f"SELECT COUNT(*) FROM {spec.name}")[0][0])) for spec in specs}
    facts = collect_query_facts([q.query for q in workload.queries])
    first_columns = {spec.name: spec.columns[0].name for spec in specs if spec.columns}
    samples = plan_samples(row_counts, first_columns, facts, options.fraction, small_rows=options.small_rows)
    report = LoadReport(scale=options.fraction)
    budget = options.max_bytes
    for spec in specs:
        table_started = time.monotonic()
        sample: TableSample = samples[spec.name]
        select = f"SELECT {', '.join(quote_name(c.name) for c in spec.columns)} FROM {spec.name}"
        source_label = sample.describe()
        rows: list[tuple[object, ...]] = []
        if budget > 0:
            rows = _read(source, f"{select} WHERE {sample.where()} LIMIT {options.max_rows}")
            if not sample.whole:
                kept = set(rows)
                for row in _lost_literal_rows(source, spec, select, rows, facts):
                    if row not in kept:  # one row may hold two lost literals
                        kept.add(row)
                        rows.append(row)
            budget -= _insert(target, spec, rows)
        else:
            source_label += ", skipped: the byte cap was reached"
        load = TableLoad(spec.name, source_label, len(rows), stored_bytes(target, spec.name), 0.0)
        load.seconds = time.monotonic() - table_started
        report.tables.append(load)
        if on_table is not None:
            on_table(load)
    report.seconds = time.monotonic() - started
    return report
