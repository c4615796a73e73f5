"""drf-spectacular hooks: every operation documents its client errors, in the one error shape.

The error body (workstation/api_errors.py) is the `Errors` component. Each operation lists 400,
401, 403 and 404 (any body or query may be refused; a route may be closed to the caller or name
something that is not there), 415 where it takes a request body, and 409 / 429 where they happen.
A view that documents a code itself keeps its own description; an error response documented
without a body gets the `Errors` body.
"""

ERRORS = "Errors"
ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "Every error answer. `detail` is always there and reads on its own; `errors` maps each field "
        "that was refused (dotted for nested fields, `non_field_errors` for the request as a whole) "
        "to its messages."
    ),
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail"],
}
DESCRIPTIONS = {
    "400": "The request is not valid: `detail` says why, `errors` names each field.",
    "401": "Not authenticated (no session and no valid token).",
    "403": "Not allowed for the caller (not logged in, or the role is missing).",
    "404": "Not found, or not visible to the caller.",
    "409": "Not possible in the current state.",
    "415": "The request body's media type is not accepted.",
    "429": "Too many requests; try again later.",
}
EVERY_OPERATION = ("400", "401", "403", "404")
# Codes that only some operations answer, by operationId.
WHERE_THEY_HAPPEN = {
    "tasks_annotations_create": ("409",),
    "tasks_annotations_draft_update": ("409",),
    "telemetry_sessions_events_create": ("409", "429"),
}
METHODS = ("get", "put", "post", "delete", "patch")


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERRORS}"}}},
    }


def document_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: add the missing error responses to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERRORS] = ERRORS_SCHEMA
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            codes = list(EVERY_OPERATION) + list(WHERE_THEY_HAPPEN.get(operation.get("operationId"), ()))
            if "requestBody" in operation:
                codes.append("415")
            codes += [code for code in responses if code.startswith("4") and code not in codes]
            for code in codes:
                documented = responses.get(code)
                if documented is None:
                    responses[code] = _error_response(DESCRIPTIONS.get(code, "Client error."))
                elif not documented.get("content") and "$ref" not in documented:
                    documented["content"] = _error_response("")["content"]
            operation["responses"] = dict(sorted(responses.items()))
    return result
