"""Public credential endpoints (keys, issuer, status list, verification page), the teacher's credential download
and calendar page, the calendar feeds, and the admins' xAPI dead-letter list."""

from __future__ import annotations

import segno
from flask import Blueprint, Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms.auth.models import User
from lms.cohorts.access import participant_required
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.services import current_enrollment
from lms.core.access import login_required, role_required
from lms.core.errors import NotFound
from lms.core.time import now_utc
from lms.extensions import csrf, db, limiter
from lms.records import calendar, credentials, keys, outbox

bp = Blueprint("records", __name__)

#: The largest VC-JWT a QR code carries (byte mode, low error correction holds 2953 bytes).
QR_MAX = 2900
MAX_TOKEN = 20000


@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(keys.public_jwks())
    response.cache_control.public, response.cache_control.max_age = True, 300
    return response


@bp.get("/kredensial/penerbit")
def issuer():
    return jsonify(credentials.issuer_profile())


@bp.get(f"/kredensial/status/{credentials.STATUS_LIST_ID}")
def status_list():
    response = Response(credentials.status_list_jwt(now_utc()), mimetype="application/vc+jwt")
    response.cache_control.max_age = 60
    return response


def _download(row) -> Response:
    return Response(row.jwt, mimetype="application/vc+jwt",
                    headers={"Content-Disposition": 'attachment; filename="kredensial-sertifikasi-pendidik.jwt"'})


def teacher_credential(enrollment: Enrollment):
    """The participant's credential; one that completed before the feature existed gets it now."""
    if enrollment.completed_at is None:
        return None
    return credentials.issue(enrollment, now=now_utc())


@bp.get("/sertifikasi/kredensial")
@participant_required
def credential_download():
    row = teacher_credential(g.enrollment)
    if row is None:
        raise NotFound(_("Kredensial terbit setelah semua modul tuntas."))
    return _download(row)


@bp.route("/verifikasi", methods=["GET", "POST"])
@csrf.exempt  # public and without side effects: anyone may check a credential, signed in or not
@limiter.limit("30/minute", methods=["POST"])
def verify_page():
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        token = upload.read(MAX_TOKEN).decode("utf-8", "replace") if upload and upload.filename else \
            request.form.get("credential", "")[:MAX_TOKEN]
        now = now_utc()
        result = credentials.verify(token, jwks=keys.public_jwks(), status_list=credentials.status_list_jwt(now),
                                    now=now)
    return render_template("records/verify.html", result=result)


@bp.get("/kalender")
@login_required
def calendar_page():
    token = calendar.active_token(current_user.id)
    secret = calendar.secret_of(token) if token else None
    admin = current_user.has_any_role("admin_angkatan")
    cohorts = db.session.scalars(db.select(Cohort.code).order_by(Cohort.code)).all() if admin and secret else []
    return render_template("records/calendar.html", secret=secret, admin=admin, cohorts=cohorts,
                           participant=current_enrollment(current_user.id) is not None)


@bp.post("/kalender")
@login_required
def calendar_new():
    calendar.new_token(current_user.id, now=now_utc())
    flash(_("Alamat kalender baru dibuat; alamat lama tidak berlaku lagi."), "success")
    return redirect(url_for("records.calendar_page"))


@bp.post("/kalender/cabut")
@login_required
def calendar_revoke():
    calendar.revoke(current_user.id, now=now_utc())
    flash(_("Alamat kalender dicabut."), "success")
    return redirect(url_for("records.calendar_page"))


def _ics(body: bytes) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="sertifikasi-pendidik.ics"'
    response.cache_control.private, response.cache_control.max_age = True, 300
    return response


@bp.get("/kalender/<secret>.ics")
def teacher_feed(secret: str):
    user_id = calendar.user_for_secret(secret)
    enrollment = current_enrollment(user_id) if user_id else None
    if enrollment is None:
        raise NotFound()
    return _ics(calendar.teacher_feed(enrollment, now=now_utc()))


@bp.get("/kalender/<secret>/angkatan/<code>.ics")
def cohort_feed(secret: str, code: str):
    user_id = calendar.user_for_secret(secret)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active or not user.has_any_role("admin_angkatan"):
        raise NotFound()
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.code == code))
    if cohort is None:
        raise NotFound()
    return _ics(calendar.cohort_feed(cohort, now=now_utc()))


@bp.get("/admin/xapi")
@role_required("admin_angkatan")
def dead_letters():
    return render_template("records/dead_letters.html", rows=outbox.dead_letters(), counts=outbox.counts(),
                           enabled=outbox.enabled())


@bp.post("/admin/xapi/ulang")
@role_required("admin_angkatan")
def retry_dead_letters():
    ids = [int(v) for v in request.form.getlist("id") if v.isdigit()] or None
    queued = outbox.retry(now=now_utc(), statement_ids=ids)
    flash(_("%(n)s pernyataan dikirim ulang.", n=queued), "success")
    return redirect(url_for("records.dead_letters"))


def credential_qr(enrollment: Enrollment) -> Markup | None:
    """The participant's credential as an SVG QR code (for the printable UKPPPG confirmation)."""
    row = teacher_credential(enrollment)
    if row is None:
        return None
    content = row.jwt if len(row.jwt) <= QR_MAX else url_for("records.verify_page", _external=True)
    return Markup(segno.make(content, error="l", micro=False).svg_inline(scale=2, title="Kredensial"))  # noqa: S704


def install_template_helpers(app) -> None:
    app.jinja_env.globals["credential_qr"] = credential_qr
