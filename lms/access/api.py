"""POST /api/v1/nik-check."""

from __future__ import annotations

from flask import g, jsonify, request

from lms.access import limits, services
from lms.api.auth import api_login_required
from lms.api.blueprint import bp
from lms.api.openapi import document
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.extensions import db

document("/nik-check", "post", summary="Cek NIK: is this NIK registered, and with which (masked) account?",
         tag="akses",
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["nik"], "properties": {"nik": {"type": "string"}}}}}},
         responses={"200": {"description": "registered, message, email_masked (null when not registered)"},
                    "401": {"$ref": "#/components/responses/Unauthenticated"},
                    "422": {"description": "invalid: not a valid NIK"},
                    "429": {"description": "rate_limited: too many checks from this account or address"}})


@bp.post("/nik-check")
@limits.per_account
@limits.per_address
@api_login_required
def nik_check():
    body = request.get_json(silent=True)
    nik = body.get("nik") if isinstance(body, dict) else None
    if not isinstance(nik, str):
        raise Invalid(details={"nik": "string"})
    try:
        result = services.check_nik(g.api_user, nik, ip=request.remote_addr or "-", now=now_utc())
    except Invalid:
        db.session.commit()  # every lookup is logged, invalid ones too
        raise
    db.session.commit()
    # The same shape whether or not the NIK is registered: only the message and the masked e-mail differ.
    return jsonify({"registered": result.registered, "message": result.message, "email_masked": result.email_masked,
                    "own_account": result.own_account,
                    "guidance": {"logout_url": "/auth/logout", "password_reset_url": services.BELAJAR_ID_RESET_PAGE,
                                 "helpdesk_url": "/bantuan/baru"}})
