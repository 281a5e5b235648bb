"""GET /api/v1/me: the account behind the call (a declared operation; see ``lms.api`` for the pattern)."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields

from lms.api.auth import api_login_required
from lms.api.blueprint import bp
from lms.api.schemas import errors
from lms.cohorts.services import current_enrollment
from lms.core.boundary import reads_only


class Participation(Schema):
    cohort = fields.String(required=True, metadata={"description": "The cohort's code"})
    status = fields.String(required=True)
    programme_year = fields.Integer(allow_none=True)


class Me(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    participant = fields.Nested(Participation, required=True, allow_none=True,
                                metadata={"description": "null for an account in no cohort"})


@bp.get("/me")
@reads_only
@bp.doc(tags=["akun"], summary="The logged-in account")
@api_login_required
@bp.response(200, Me)
@errors(bp, 401)
def get_me():
    user = g.api_user
    return {"id": user.id, "email": user.email, "name": user.name, "roles": user.roles,
            "participant": participant_summary(user)}


def participant_summary(user):
    """The participant's cohort and status, or ``None`` for someone in no cohort."""
    enrollment = current_enrollment(user.id)
    if enrollment is None:
        return None
    return {"cohort": enrollment.cohort.code, "status": enrollment.status,
            "programme_year": enrollment.programme_year}
