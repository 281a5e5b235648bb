"""The API blueprint. Authentication of every call (bearer token or session) is ``lms.auth.bearer``, registered on
this blueprint by the auth package: the API infrastructure imports no domain."""

from __future__ import annotations

from flask_smorest import Blueprint

from lms.api.validation import ApiParser

PREFIX = "/api/v1"


class ApiBlueprint(Blueprint):
    """flask-smorest's blueprint: ``@bp.arguments`` parses with ``ApiParser`` (our JSON rules, our error shape)."""

    ARGUMENTS_PARSER = ApiParser()

    # ``doc`` and ``alt_response`` only document an operation, yet flask-smorest wraps the view in one more function
    # for each, which only calls the next: on the journal autosave, seven calls through ``current_app`` per request.
    # These keep the documentation each records (the same OpenAPI document) on the view itself, without the wrapper.

    @staticmethod
    def doc(**kwargs):
        return _documenting(Blueprint.doc(**kwargs))

    def alt_response(self, status_code, *args, **kwargs):
        return _documenting(super().alt_response(status_code, *args, **kwargs))


def _documenting(decorator):
    def apply(view):
        view._apidoc = decorator(view)._apidoc
        return view

    return apply


bp = ApiBlueprint("api", __name__, url_prefix=PREFIX, description="lms JSON API")

PUBLIC_ENDPOINTS = {"api.openapi_document"}
