"""The OpenAPI 3 document: every endpoint module documents its operations with ``document(...)``."""

from __future__ import annotations

from flask import jsonify

from lms.api.blueprint import bp

_PATHS: dict[str, dict] = {}

def json_schema(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "errors": {"type": "object", "additionalProperties": True}},
}


def document(path: str, method: str, *, summary: str, tag: str, responses: dict, request_body: dict | None = None,
             parameters: list | None = None) -> None:
    operation = {"summary": summary, "tags": [tag], "responses": responses}
    if request_body:
        operation["requestBody"] = request_body
    if parameters:
        operation["parameters"] = parameters
    _PATHS.setdefault(path, {})[method.lower()] = operation


def build_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "lms: Sertifikasi Pendidik API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": dict(sorted(_PATHS.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal token from `lms tokens create EMAIL`."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "lms_session",
                                  "description": "The browser session; writes also need the X-CSRFToken header."},
            },
            "schemas": {
                "Error": ERROR_SCHEMA,
                "Me": {"type": "object", "required": ["email", "name", "roles", "participant"], "properties": {
                    "id": {"type": "integer"}, "email": {"type": "string", "format": "email"},
                    "name": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}},
                    "participant": {"type": "object", "nullable": True, "properties": {
                        "cohort": {"type": "string"}, "status": {"type": "string"}}}}},
            },
            "responses": {
                "Unauthenticated": {"description": "No valid session or token", "content": json_schema("Error")},
                "Forbidden": {"description": "The account may not do this", "content": json_schema("Error")},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())
