"""The API blueprint. Authentication of every call (bearer token or session) is ``lms.auth.bearer``, registered on
this blueprint by the auth package: the API infrastructure imports no domain."""

from __future__ import annotations

from flask_smorest import Blueprint

from lms.api.validation import ApiParser

PREFIX = "/api/v1"


class ApiBlueprint(Blueprint):
    """flask-smorest's blueprint: ``@bp.arguments`` parses with ``ApiParser`` (our JSON rules, our error shape)."""

    ARGUMENTS_PARSER = ApiParser()


bp = ApiBlueprint("api", __name__, url_prefix=PREFIX, description="lms JSON API")

PUBLIC_ENDPOINTS = {"api.openapi_document"}
