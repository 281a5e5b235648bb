"""The Cek NIK page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from lms.access import limits, services
from lms.core.boundary import keep_writes_on_refusal
from lms.core.errors import Invalid, Unauthenticated
from lms.core.time import now_utc

bp = Blueprint("access", __name__, url_prefix="/sertifikasi/cek-nik")

#: The last answer of this login, shown after the redirect (POST-redirect-GET): only what the page shows, the e-mail
#: already masked, never the NIK. The session is cleared at logout.
RESULT_KEY = "cek_nik_result"


@bp.route("/", methods=["GET", "POST"])
@limits.per_account
@limits.per_address
def cek_nik():
    if not current_user.is_authenticated:
        if request.method == "POST":
            # Refused before any work; the limits above exempt anonymous requests (see limits.py).
            raise Unauthenticated()
        return redirect(url_for("auth.login", next=url_for("access.cek_nik")))
    if request.method == "GET":
        shown = session.get(RESULT_KEY) if request.args.get("hasil") else None
        result = services.NikCheck(**shown) if isinstance(shown, dict) else None
        return render_template("access/cek_nik.html", result=result, error=None, nik="",
                               reset_url=services.BELAJAR_ID_RESET_PAGE)
    nik = request.form.get("nik", "")
    try:
        result = services.check_nik(current_user, nik, ip=request.remote_addr or "-", now=now_utc())
    except Invalid as exc:
        # Every lookup is logged, refused ones too: the boundary keeps this write although the page answers 422.
        keep_writes_on_refusal()
        # Re-rendered, not redirected: keeping what was typed across a redirect would store a NIK; a reload sends
        # the same invalid text again, which changes nothing but one more logged refusal.
        return render_template("access/cek_nik.html", result=None, error=exc.message, nik=nik[:64]), 422
    session[RESULT_KEY] = {"registered": result.registered, "email_masked": result.email_masked,
                           "own_account": result.own_account}
    # A reload of the answer is a GET: it does not spend the limits or log another lookup.
    return redirect(url_for("access.cek_nik", hasil=1), 303)
