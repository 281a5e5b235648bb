"""GET /api/v1/me."""

from __future__ import annotations

from flask import g, jsonify

from lms.api.auth import api_login_required
from lms.api.blueprint import bp
from lms.api.openapi import document, json_schema

document("/me", "get", summary="The logged-in account", tag="akun", responses={
    "200": {"description": "The account", "content": json_schema("Me")},
    "401": {"$ref": "#/components/responses/Unauthenticated"},
})


@bp.get("/me")
@api_login_required
def get_me():
    user = g.api_user
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "roles": user.roles,
                    "participant": participant_summary(user)})


def participant_summary(user):
    """The participant's cohort and status; ``None`` until enrollments exist for this account."""
    return None
