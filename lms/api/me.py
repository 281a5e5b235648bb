"""GET /api/v1/me."""

from __future__ import annotations

from flask import g, jsonify

from lms.api.auth import api_login_required
from lms.api.blueprint import bp
from lms.api.openapi import document, json_schema
from lms.cohorts.services import current_enrollment

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
    """The participant's cohort and status, or ``None`` for someone in no cohort."""
    enrollment = current_enrollment(user.id)
    if enrollment is None:
        return None
    return {"cohort": enrollment.cohort.code, "status": enrollment.status,
            "programme_year": enrollment.programme_year}
