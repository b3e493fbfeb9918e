"""The OpenAPI description of the REST routes, built from the same pydantic models they use."""

from __future__ import annotations

from typing import Any

from gql_app.openapi_examples import with_examples
from jobs.contract.result import PlanResult, TaskReport
from jobs.contract.workload import Workload

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def json_of(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _task_id_params() -> list[dict[str, Any]]:
    return [
        {
            "name": "task_id",
            "in": "query",
            "schema": {"type": "string", "format": "uuid"},
            "description": "The task id (also accepted as `taskid=` or a bare `?<uuid>`).",
        },
    ]


def openapi_document() -> dict[str, Any]:
    schemas = {
        "Workload": Workload.model_json_schema(ref_template="#/components/schemas/{model}"),
        "PlanResult": PlanResult.model_json_schema(ref_template="#/components/schemas/{model}"),
        "TaskReport": TaskReport.model_json_schema(ref_template="#/components/schemas/{model}"),
        "Error": _ERROR,
    }
    for model_schema in list(schemas.values()):
        schemas.update(model_schema.pop("$defs", {}))
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "lakeopt REST API", "version": "1", "description": "GraphQL at /graphql serves the same."},
        "paths": {
            "/new": {
                "post": {
                    "summary": "Submit a workload; the task is RUNNING from acceptance",
                    "requestBody": {"required": True, "content": json_of("Workload")},
                    "responses": {
                        "200": {
                            "description": "Accepted",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"taskid": {"type": "string", "format": "uuid"}},
                                    }
                                }
                            },
                        },
                        "400": _error("Body is not UTF-8 text"),
                        "413": _error("Body too large"),
                        "422": _error("Invalid workload; `fields` names each bad field"),
                        "503": _error("Queue unavailable"),
                    },
                }
            },
            "/status": {
                "get": {
                    "summary": "Task status",
                    "parameters": _task_id_params(),
                    "responses": {
                        "200": {
                            "description": "Status",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "status": {"type": "string", "enum": ["RUNNING", "DONE", "FAILED"]}
                                        },
                                    }
                                }
                            },
                        },
                        "400": _error("Missing or malformed task id"),
                        "404": _error("Unknown task"),
                    },
                }
            },
            "/getresult": {
                "get": {
                    "summary": "The plan of a DONE task",
                    "parameters": _task_id_params(),
                    "responses": {
                        "200": {"description": "The plan", "content": json_of("PlanResult")},
                        "400": _error("Missing or malformed task id"),
                        "404": _error("Unknown task"),
                        "409": _error("Task still RUNNING, or FAILED (the reason is given)"),
                    },
                }
            },
            "/report": {
                "get": {
                    "summary": "The report of a DONE task: recommendation cards, warnings, the Markdown report",
                    "parameters": _task_id_params(),
                    "responses": {
                        "200": {
                            "description": "The report (`markdown`: deterministic; `explanation`: the LLM's, if any)",
                            "content": json_of("TaskReport"),
                        },
                        "400": _error("Missing or malformed task id"),
                        "404": _error("Unknown task"),
                        "409": _error("Task still RUNNING, or FAILED (the reason is given)"),
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`lakeopt token create NAME`"},
                "basic": {"type": "http", "scheme": "basic", "description": "Any user name; the token as password"},
            },
        },
    }
    for path in document["paths"].values():
        for operation in path.values():
            # Open (no security) while no token exists; with one, either scheme.
            operation["security"] = [{}, {"bearer": []}, {"basic": []}]
            operation["responses"]["401"] = _error("No valid API token (only once tokens are in use)")
    return with_examples(document)


# Swagger UI from the package's own copy (static/vendor/README.md); no CDN.
DOCS_HTML = """<!doctype html>
<html lang="en"><head><title>lakeopt REST API</title><meta charset="utf-8"/>
<link rel="icon" href="/static/console/favicon.svg" type="image/svg+xml"/>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"/></head>
<body><div id="ui">Loading Swagger UI…</div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script>
<noscript>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body></html>
"""
