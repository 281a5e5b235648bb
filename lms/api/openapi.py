"""The OpenAPI 3 document at ``GET /api/v1/openapi.json``, generated from the declared operations.

flask-smorest (apispec) builds the paths and schemas from the decorators on ``lms.api.blueprint.bp``; nothing is
described by hand.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from flask_smorest import Api

from lms.api.blueprint import PREFIX, bp
from lms.api.schemas import Error


def json_schema(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


_SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A personal token from `lms tokens create EMAIL`."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "lms_session",
                      "description": "The browser session; writes also need the X-CSRFToken header."},
}
_ERROR_REF = {"description": "Any refusal", "content": json_schema("Error")}


class LmsApi(Api):
    """flask-smorest's Api without its own error handlers (the app renders every error) and with our Error."""

    ERROR_SCHEMA = Error

    def _register_error_handlers(self):
        pass


def init_api(app: Flask) -> LmsApi:
    app.config.setdefault("API_TITLE", "lms: Sertifikasi Pendidik API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    api = LmsApi(app)  # no OPENAPI_URL_PREFIX: the document is served by ``openapi_document`` below
    api.register_blueprint(bp)
    return api


def build_document(api: Api) -> dict:
    generated = api.spec.to_dict()
    paths: dict[str, dict] = {}
    for path, item in generated.get("paths", {}).items():
        relative = path.removeprefix(PREFIX) or "/"
        if relative != "/openapi.json":
            paths[relative] = item
    for item in paths.values():
        for method, operation in item.items():
            if method != "parameters":
                operation.setdefault("responses", {}).setdefault("default", _ERROR_REF)
    components = generated.get("components", {})
    schemas = components.get("schemas", {})
    responses = {**components.get("responses", {}),
                 "Unauthenticated": {"description": "No valid session or token", "content": json_schema("Error")},
                 "Forbidden": {"description": "The account may not do this", "content": json_schema("Error")}}
    return {
        "openapi": generated.get("openapi", "3.0.3"),
        "info": {"title": "lms: Sertifikasi Pendidik API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [t for t in generated.get("tags", []) if t.get("name") != bp.name],
        "paths": dict(sorted(paths.items())),
        "components": {**components, "securitySchemes": _SECURITY_SCHEMES, "schemas": schemas,
                       "responses": responses},
    }


@bp.get("/openapi.json")
@bp.doc(hide=True)
def openapi_document():
    cache = current_app.extensions.setdefault("lms_openapi", {})
    if "document" not in cache:
        cache["document"] = build_document(current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"])
    return jsonify(cache["document"])
