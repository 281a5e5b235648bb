"""UKPPPG pages: choosing a session, the printable confirmation, change and cancel; the admin's sites page."""

from __future__ import annotations

from uuid import uuid4

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.cohorts.access import participant_required
from lms.core import idempotency
from lms.core.access import role_required
from lms.core.errors import DomainError, Invalid
from lms.core.formatting import deadline_text, moment_text
from lms.core.regions import province_name
from lms.core.time import now_utc
from lms.extensions import db
from lms.ukppg import services
from lms.ukppg.models import Registration
from lms.ukppg.sites import import_sites, parse_sites

bp = Blueprint("ukppg", __name__, url_prefix="/sertifikasi/ukppg")
admin_bp = Blueprint("ukppg_admin", __name__, url_prefix="/admin/ukppg")


@bp.get("/")
@participant_required
def choose():
    now = now_utc()
    registration = services.active_registration(g.enrollment)
    try:
        services.require_can_register(g.enrollment, now=now)
        refusal = None
    except DomainError as exc:
        refusal = exc
    sessions = services.list_sessions(g.enrollment, today=services.local_today(g.enrollment, now))
    window = services.registration_window(g.enrollment)
    return render_template("ukppg/choose.html", sessions=sessions, registration=registration, refusal=refusal,
                           province_name=province_name, closes_text=deadline_text(window.closes_at, "Asia/Jakarta"),
                           own_province=(g.enrollment.kode_kabkota or "")[:2],
                           # One key per form load: a double click or a resent form registers once.
                           idempotency_key=uuid4().hex)


@bp.post("/")
@participant_required
def register():
    now = now_utc()
    session_id = request.form.get("session_id", type=int)
    action = request.form.get("action", "register")
    try:
        if session_id is None:
            raise Invalid(_("Pilih salah satu sesi ujian."))
        if action == "change":
            services.change(g.enrollment, session_id, now=now)
        else:
            idempotency.run_once(g.enrollment.user_id, request.form.get("idempotency_key") or None,
                                 scope="ukppg.register_page", payload={"session_id": session_id}, now=now,
                                 action=lambda: _registered(services.register(g.enrollment, session_id, now=now)))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("ukppg.choose"))
    db.session.commit()
    flash(_("Pendaftaran UKPPPG berhasil."), "success")
    return redirect(url_for("ukppg.confirmation"))


def _registered(registration: Registration) -> idempotency.Answer:
    return idempotency.Answer(201, {"number": registration.number, "session_id": registration.session_id})


@bp.post("/batal")
@participant_required
def cancel():
    try:
        services.cancel(g.enrollment, now=now_utc())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("ukppg.confirmation"))
    db.session.commit()
    flash(_("Pendaftaran UKPPPG dibatalkan. Kursi Anda dikembalikan."), "success")
    return redirect(url_for("dashboard.index"))


@bp.get("/konfirmasi")
@participant_required
def confirmation():
    registration = services.active_registration(g.enrollment)
    if registration is None:
        return redirect(url_for("ukppg.choose"))
    window = services.registration_window(g.enrollment)
    return render_template("ukppg/confirmation.html", registration=registration, enrollment=g.enrollment,
                           province_name=province_name, can_change=window.open_at(now_utc()),
                           closes_text=deadline_text(window.closes_at, "Asia/Jakarta"),
                           registered_text=moment_text(registration.created_at, "Asia/Jakarta"))


@admin_bp.get("/")
@role_required("admin_angkatan")
def sites():
    sessions = services.list_sessions(None)
    registered = db.session.scalar(select(func.count()).where(Registration.cancelled_at.is_(None)))
    return render_template("ukppg/admin_sites.html", sessions=sessions, registered=registered,
                           province_name=province_name, errors={})


@admin_bp.post("/")
@role_required("admin_angkatan")
def upload_sites():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid(_("Pilih berkas CSV TUK untuk diunggah."))
        stats = import_sites(parse_sites(upload.read().decode("utf-8-sig")))
    except UnicodeDecodeError:
        db.session.rollback()
        flash(_("Berkas harus teks UTF-8."), "error")
        return redirect(url_for("ukppg_admin.sites"))
    except Invalid as exc:
        db.session.rollback()
        sessions = services.list_sessions(None)
        return render_template("ukppg/admin_sites.html", sessions=sessions, registered=None,
                               province_name=province_name, errors=exc.details, message=exc.message), 422
    db.session.commit()
    flash(_("TUK diimpor: %(s)s TUK baru, %(n)s sesi baru, %(u)s sesi diperbarui.", s=stats["sites_created"],
            n=stats["sessions_created"], u=stats["sessions_updated"]), "success")
    return redirect(url_for("ukppg_admin.sites"))


@admin_bp.get("/pendaftaran.csv")
@role_required("admin_angkatan")
def export_csv() -> Response:
    return Response(services.export_csv(services.export_rows(request.args.get("cohort"))), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=pendaftaran-ukpppg.csv"})
