"""
Hooks that make the OpenAPI document say what the API really does: the
paths as the contract writes them, and the error answers of every operation.
"""

import re

ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = {"$ref": "#/components/schemas/ValidationError"}

ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {
            "detail": {"type": "string", "description": "Human readable."},
            "code": {"type": "string", "description": "Machine readable, e.g. not_found."},
        },
        "required": ["detail", "code"],
    },
    "ValidationError": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": ["validation_error"]},
            "errors": {
                "type": "object",
                "description": "Messages by field name (or non_field_errors).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["detail", "code", "errors"],
    },
}

DESCRIPTIONS = {
    "400": ("Malformed JSON (parse_error).", ERROR),
    "401": ("No token, a bad token or an expired one.", ERROR),
    "403": ("Another user's task, or another user's id in the path.", ERROR),
    "404": ("No such task.", ERROR),
    "406": ("The Accept header asks for a format the API does not speak.", ERROR),
    "409": ("A create with this Idempotency-Key is still running.", ERROR),
    "410": ("The cursor is older than the deletions kept: sync again without one.", ERROR),
    "412": ("If-Match names no current ETag of the task; the answer carries it.", ERROR),
    "413": ("The request body is too large.", ERROR),
    "415": ("The body is neither JSON nor an HTML form.", ERROR),
    "422": (
        "A field, header or query parameter fails validation (validation_error), or an "
        "Idempotency-Key is reused with another body (idempotency_key_reused).",
        {"anyOf": [VALIDATION_ERROR, ERROR]},
    ),
    "429": ("Too many requests; see Retry-After.", ERROR),
    "503": ("The database, or the key set of the auth server, cannot be reached.", ERROR),
}
HEADERS = {
    "X-Request-ID": {
        "schema": {"type": "string"},
        "description": "The request's id: the client's own when it is short and plain.",
    },
    "WWW-Authenticate": {"schema": {"type": "string", "enum": ["Bearer"]}},
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
    "ETag": {"schema": {"type": "string"}, "description": "The task's current ETag."},
}
HEADERS_BY_STATUS = {"401": ["WWW-Authenticate"], "412": ["ETag"], "429": ["Retry-After"]}
BODY_METHODS = {"post", "put", "patch"}
PUBLIC_PATHS = {"/api/health", "/api/schema/"}


def strip_trailing_slashes(endpoints):
    """The API answers with and without a slash; document it the contract's way."""
    return [
        (
            path.rstrip("/") if path.startswith("/api/") and path not in PUBLIC_PATHS else path,
            regex,
            method,
            callback,
        )
        for path, regex, method, callback in endpoints
    ]


BLANK_STRING = {"type": "string", "maxLength": 0}


def collapse_blank_alternatives(node):
    """
    drf-spectacular writes an optional string with a pattern as
    ``oneOf: [{pattern...}, {maxLength: 0}]``; where the pattern already takes
    "", the blank matches both and ``oneOf`` (exactly one) would refuse it.
    """
    if isinstance(node, list):
        for item in node:
            collapse_blank_alternatives(item)
        return
    if not isinstance(node, dict):
        return
    alternatives = node.get("oneOf")
    if (
        isinstance(alternatives, list)
        and len(alternatives) == 2
        and alternatives[1] == BLANK_STRING
        and "minLength" not in alternatives[0]
        and re.search(alternatives[0].get("pattern", ""), "")
    ):
        node.update(node.pop("oneOf")[0])
    for value in node.values():
        collapse_blank_alternatives(value)


def add_error_responses(result, generator, request, public):
    collapse_blank_alternatives(result)
    # Every answer that carries a task has every one of its keys.
    task = result.get("components", {}).get("schemas", {}).get("Task")
    if task is not None:
        task["required"] = list(task["properties"])
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            if operation.get("operationId", "").endswith("bulk_update"):
                operation["requestBody"]["required"] = True
            if path not in PUBLIC_PATHS:
                for status in error_statuses(path, method, operation):
                    description, schema = DESCRIPTIONS[status]
                    operation["responses"].setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": schema}},
                        },
                    )
            add_headers(operation["responses"])
    return result


def add_headers(responses):
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        for name in ["X-Request-ID", *HEADERS_BY_STATUS.get(status, [])]:
            headers.setdefault(name, HEADERS[name])


def error_statuses(path, method, operation):
    statuses = {"401", "406", "429", "503"}
    if "{id}" in path:
        statuses |= {"403", "404"}
    if "{user_id}" in path:
        statuses.add("403")
    if method in BODY_METHODS:
        statuses |= {"400", "413", "415", "422"}
    parameters = {p["name"] for p in operation.get("parameters", [])}
    if method in ("get", "delete") and any(
        p["in"] == "query" for p in operation.get("parameters", [])
    ):
        statuses.add("422")
    if operation.get("operationId", "").endswith("bulk_update"):
        statuses |= {"403", "404"}
    if "If-Match" in parameters:
        statuses.add("412")
    if "Idempotency-Key" in parameters:
        statuses |= {"409", "422"}
    if path.endswith("/changes"):
        statuses.add("410")
    return sorted(statuses)
