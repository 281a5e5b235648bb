"""JSON API: the teacher's credential and calendar address; the admins' xAPI dead-letter list."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from lms.api.auth import api_login_required, api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import Id, errors
from lms.cohorts.participant import api_participant_required
from lms.cohorts.services import find_cohort, find_enrollment
from lms.core.errors import NotFound
from lms.core.time import now_utc
from lms.records import calendar, credentials, outbox
from lms.records.views import teacher_credential


class CredentialOut(Schema):
    id = fields.String(required=True, metadata={"description": "urn:uuid:... of the credential"})
    jwt = fields.String(required=True, metadata={"description": "The signed VC-JWT (Open Badges 3.0)"})
    issued_at = fields.DateTime(required=True)
    revoked = fields.Boolean(required=True)
    jwks_url = fields.String(required=True)


class CalendarOut(Schema):
    url = fields.String(required=True, allow_none=True, metadata={"description": "The private iCalendar feed"})


class DeadLetter(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    statement_id = fields.String(required=True)
    attempts = fields.Integer(required=True)
    error = fields.String(required=True, allow_none=True)
    dead_at = fields.DateTime(required=True)


class Counts(Schema):
    sent = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    dead = fields.Integer(required=True)


class DeadLettersOut(Schema):
    enabled = fields.Boolean(required=True)
    counts = fields.Nested(Counts, required=True)
    statements = fields.List(fields.Nested(DeadLetter), required=True)


class RetryIn(Schema):
    ids = fields.List(Id(), metadata={"description": "Dead-letter rows to retry; all when absent"})


class RetryOut(Schema):
    queued = fields.Integer(required=True)


class WithdrawIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class WithdrawOut(Schema):
    email = fields.String(required=True)
    revoked = fields.Integer(required=True, metadata={"description": "Credentials revoked"})


class NoCredential(NotFound):
    code = "no_credential"
    message = _l("Kredensial terbit setelah semua modul tuntas.")


@bp.get("/me/credential")
@bp.doc(tags=["kredensial"], summary="The completion credential (Open Badges 3.0, VC-JWT)")
@api_participant_required
@bp.response(200, CredentialOut)
@errors(bp, 401, 403, 404)
def get_credential():
    row = teacher_credential(g.enrollment)
    if row is None:
        raise NoCredential()
    return {"id": f"urn:uuid:{row.uuid}", "jwt": row.jwt, "issued_at": row.issued_at,
            "revoked": row.revoked_at is not None, "jwks_url": url_for("records.jwks", _external=True)}


def _feed_url(secret: str | None) -> str | None:
    return url_for("records.teacher_feed", secret=secret, _external=True) if secret else None


@bp.get("/me/calendar")
@bp.doc(tags=["kalender"], summary="The account's private calendar address (null when none)")
@api_login_required
@bp.response(200, CalendarOut)
@errors(bp, 401)
def get_calendar():
    token = calendar.active_token(g.api_user.id)
    return {"url": _feed_url(calendar.secret_of(token) if token else None)}


@bp.post("/me/calendar")
@bp.doc(tags=["kalender"], summary="A new private calendar address (the previous one stops working)")
@api_login_required
@bp.response(201, CalendarOut)
@errors(bp, 401, 403)
def post_calendar():
    return {"url": _feed_url(calendar.new_token(g.api_user.id, now=now_utc()))}


@bp.delete("/me/calendar")
@bp.doc(tags=["kalender"], summary="Revoke the private calendar address")
@api_login_required
@bp.response(204)
@errors(bp, 401, 403)
def delete_calendar():
    calendar.revoke(g.api_user.id, now=now_utc())
    return ""


@bp.get("/xapi/dead-letters")
@bp.doc(tags=["xapi"], summary="Statements that failed every delivery attempt")
@api_role_required("admin_angkatan")
@bp.response(200, DeadLettersOut)
@errors(bp, 401, 403)
def get_dead_letters():
    rows = outbox.dead_letters()
    return {"enabled": outbox.enabled(), "counts": outbox.counts(),
            "statements": [{"id": r.id, "key": r.key, "statement_id": r.statement_id, "attempts": r.attempts,
                            "error": r.error, "dead_at": r.dead_at} for r in rows]}


@bp.post("/xapi/dead-letters/retry")
@bp.doc(tags=["xapi"], summary="Queue dead-letter statements again (all, or the given ids)")
@api_role_required("admin_angkatan")
@bp.arguments(RetryIn)
@bp.response(200, RetryOut)
@errors(bp, 401, 403)
def post_retry(body: dict):
    return {"queued": outbox.retry(now=now_utc(), statement_ids=body.get("ids"))}


@bp.post("/cohorts/<code>/completions/withdraw")
@bp.doc(tags=["kredensial"], summary="Take a participant's completion away (admin correction, audited): "
                                     "revokes the completion credential")
@api_role_required("admin_angkatan")
@bp.arguments(WithdrawIn)
@bp.response(200, WithdrawOut)
@errors(bp, 401, 403, 404)
def post_withdraw(body: dict, code: str):
    enrollment = find_enrollment(find_cohort(code), body["email"])
    revoked = credentials.revoke(enrollment, reason=body["reason"], now=now_utc(), actor_id=g.api_user.id)
    return {"email": enrollment.user.email, "revoked": revoked}
