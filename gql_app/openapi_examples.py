"""Field descriptions and example bodies for the OpenAPI document (shown by ``/docs``).

The pydantic models in ``jobs/`` carry no descriptions of their own, so they are kept here,
keyed by schema and property name; ``tests/test_openapi_examples.py`` fails when a model gains
a property with no description here or one named here disappears, and checks that the examples
are accepted by the models (and by the running service).
"""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_DESCRIPTIONS = {
    "Workload": "What `POST /new` takes: the JDBC URL, one DDL statement per table, and the queries run on them.",
    "DdlStatement": "One `CREATE TABLE` statement of a source table.",
    "WorkloadQuery": "A query of the workload with how often it runs and how long it takes.",
    "Statement": "One SQL statement of the plan.",
    "RewrittenQuery": "An input query rewritten to read the new schema.",
}

FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Workload": {
        "url": "JDBC URL of the database holding the source tables (`jdbc:trino://host:port?user=…&password=…` "
        "or `jdbc:postgresql://…`), read for statistics; optional. Its password never leaves the service.",
        "verify_url": "A writable Trino holding the same source tables (staging, `lakeopt sandbox`): the plan is "
        "run there, every rewritten query compared with its original and timed.",
        "ddl": "One statement per source table, fully qualified (`catalog.schema.table`).",
        "queries": "The workload's queries; every `queryid` appears in the result exactly once.",
        "max_staleness": "How stale a materialized view may be read (`30s`, `15m`, `1h`, `2d`; default 0): "
        "the views' GRACE PERIOD.",
    },
    "DdlStatement": {"statement": "`CREATE TABLE catalog.schema.table (…) [WITH (…)]`; a trailing `;` is fine."},
    "WorkloadQuery": {
        "queryid": "The query's id (usually a UUID); unique within the workload.",
        "query": "The SQL text, as the clients send it (comments and a trailing `;` are fine).",
        "runquantity": "How many times the query runs (its weight in the score).",
        "executiontime": "Seconds per run on the source tables.",
    },
    "PlanResult": {
        "ddl": "Run first, in order: `CREATE SCHEMA` of the new schema, then its tables.",
        "migrations": "Run next, in order: the statements that fill the new tables from the source tables.",
        "queries": "Every input query, rewritten to read the new schema.",
    },
    "Statement": {"statement": "The SQL statement; every table fully qualified."},
    "RewrittenQuery": {
        "queryid": "The input query's id.",
        "query": "The rewritten SQL, reading only the new schema.",
    },
}

WORKLOAD_EXAMPLE: dict[str, Any] = {
    "url": "jdbc:trino://trino.example:8443?user=alice&password=s3(cr)et",
    "ddl": [
        {
            "statement": "CREATE TABLE shop.sales.orders (id bigint, customer_id bigint, day date, "
            "status varchar, amount decimal(12, 2)) WITH (format = 'PARQUET')"
        }
    ],
    "queries": [
        {
            "queryid": "0b0c5e4e-3a51-4c5e-9d0c-6a3e1f1f9a01",
            "query": "SELECT day, sum(amount) AS revenue FROM shop.sales.orders WHERE status = 'PAID' GROUP BY day",
            "runquantity": 795,
            "executiontime": 20,
        },
        {
            "queryid": "5d7f1c2a-8b0e-4f7e-a2a9-2c8d0e6b7f02",
            "query": "SELECT * FROM shop.sales.orders WHERE customer_id = 42 ORDER BY day DESC LIMIT 10",
            "runquantity": 12000,
            "executiontime": 3.5,
        },
    ],
}

RESULT_EXAMPLE: dict[str, Any] = {
    "ddl": [
        {"statement": "CREATE SCHEMA shop.sales_opt"},
        {
            "statement": "CREATE TABLE shop.sales_opt.orders (id BIGINT, customer_id BIGINT, day DATE, "
            "status VARCHAR, amount DECIMAL(12, 2)) WITH (format = 'ORC', partitioning = ARRAY['month(day)'], "
            "sorted_by = ARRAY['customer_id'])"
        },
    ],
    "migrations": [
        {
            "statement": "INSERT INTO shop.sales_opt.orders (id, customer_id, day, status, amount) "
            "SELECT id, customer_id, day, status, amount FROM shop.sales.orders"
        }
    ],
    "queries": [
        {
            "queryid": "0b0c5e4e-3a51-4c5e-9d0c-6a3e1f1f9a01",
            "query": "SELECT day, sum(amount) AS revenue FROM shop.sales_opt.orders WHERE status = 'PAID' GROUP BY day",
        },
        {
            "queryid": "5d7f1c2a-8b0e-4f7e-a2a9-2c8d0e6b7f02",
            "query": "SELECT * FROM shop.sales_opt.orders WHERE customer_id = 42 ORDER BY day DESC LIMIT 10",
        },
    ],
}

TASK_ID_EXAMPLE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

#: Examples by path, method and status ("request" for the body).
_EXAMPLES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("/new", "post"): {
        "request": {"workload": {"summary": "Two queries over one table", "value": WORKLOAD_EXAMPLE}},
        "200": {"accepted": {"value": {"taskid": TASK_ID_EXAMPLE}}},
        "422": {
            "invalid": {
                "summary": "A bad field",
                "value": {
                    "error": "invalid input: queries[0].runquantity: Input should be a valid integer",
                    "fields": [{"field": "queries[0].runquantity", "message": "Input should be a valid integer"}],
                },
            }
        },
    },
    ("/status", "get"): {
        "200": {"running": {"value": {"status": "RUNNING"}}, "done": {"value": {"status": "DONE"}}},
        "404": {"unknown": {"value": {"error": f"no task with id {TASK_ID_EXAMPLE}"}}},
    },
    ("/getresult", "get"): {
        "200": {"plan": {"summary": "The plan for the /new example", "value": RESULT_EXAMPLE}},
        "409": {"running": {"value": {"error": "task is still RUNNING (stage optimize, 40%)"}}},
    },
}


def _describe(schemas: dict[str, Any]) -> None:
    for name, schema in schemas.items():
        if name in SCHEMA_DESCRIPTIONS:
            schema.setdefault("description", SCHEMA_DESCRIPTIONS[name])
        for field, description in FIELD_DESCRIPTIONS.get(name, {}).items():
            prop = schema.get("properties", {}).get(field)
            if prop is not None:
                prop.setdefault("description", description)


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with field descriptions on its schemas and example bodies on its operations."""
    _describe(document["components"]["schemas"])
    for (path, method), by_status in _EXAMPLES.items():
        operation = document["paths"][path][method]
        for status, examples in by_status.items():
            holder = operation["requestBody"] if status == "request" else operation["responses"][status]
            holder["content"]["application/json"]["examples"] = copy.deepcopy(examples)
    return document
