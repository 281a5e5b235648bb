"""The Cek NIK page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from lms.access import limits, services
from lms.core.boundary import keep_writes_on_refusal
from lms.core.errors import Invalid, Unauthenticated
from lms.core.time import now_utc

bp = Blueprint("access", __name__, url_prefix="/sertifikasi/cek-nik")


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
        return render_template("access/cek_nik.html", result=None, error=None, nik="")
    nik = request.form.get("nik", "")
    try:
        result = services.check_nik(current_user, nik, ip=request.remote_addr or "-", now=now_utc())
    except Invalid as exc:
        # Every lookup is logged, refused ones too: the boundary keeps this write although the page answers 422.
        keep_writes_on_refusal()
        return render_template("access/cek_nik.html", result=None, error=exc.message, nik=nik[:64]), 422
    return render_template("access/cek_nik.html", result=result, error=None, nik="",
                           reset_url=services.BELAJAR_ID_RESET_PAGE)
