"""POST /api/v1/nik-check (a declared operation)."""

from __future__ import annotations

from flask import g, request
from marshmallow import Schema, fields, validate

from lms.access import limits, services
from lms.api.auth import api_login_required
from lms.api.blueprint import bp
from lms.api.schemas import Error, errors
from lms.core.boundary import keep_writes_on_refusal
from lms.core.errors import Invalid
from lms.core.time import now_utc


class NikCheckIn(Schema):
    nik = fields.String(required=True, validate=validate.Length(max=64),
                        metadata={"description": "16 digits; spaces are ignored"})


class Guidance(Schema):
    logout_url = fields.String(required=True)
    password_reset_url = fields.String(required=True)
    helpdesk_url = fields.String(required=True)


class NikCheckResult(Schema):
    registered = fields.Boolean(required=True)
    message = fields.String(required=True)
    email_masked = fields.String(required=True, allow_none=True,
                                 metadata={"description": "null when the NIK is not registered"})
    own_account = fields.Boolean(required=True, metadata={"description": "The roster names the asker's own account"})
    guidance = fields.Nested(Guidance, required=True)


@bp.post("/nik-check")
@bp.doc(tags=["akses"], summary="Cek NIK: is this NIK registered, and with which (masked) account?")
@limits.per_account
@limits.per_address
@api_login_required
@bp.arguments(NikCheckIn)
@bp.response(200, NikCheckResult)
@errors(bp, 401)
@bp.alt_response(422, schema=Error, description="invalid: not a valid NIK (16 digits, a known region, a birth date)")
@errors(bp, 429)
def nik_check(body: dict):
    try:
        result = services.check_nik(g.api_user, body["nik"], ip=request.remote_addr or "-", now=now_utc())
    except Invalid:
        # Every lookup is logged, refused ones too: the boundary keeps this write although the answer is a refusal.
        keep_writes_on_refusal()
        raise
    # The same shape whether or not the NIK is registered: only the message and the masked e-mail differ.
    return {"registered": result.registered, "message": result.message, "email_masked": result.email_masked,
            "own_account": result.own_account,
            "guidance": {"logout_url": "/auth/logout", "password_reset_url": services.BELAJAR_ID_RESET_PAGE,
                         "helpdesk_url": "/bantuan/baru"}}
