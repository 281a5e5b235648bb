"""UKPPPG pages: choosing a session, the printable confirmation, change and cancel; the admin's sites page.

The views do not commit: the request boundary commits a redirect. A refused form post also redirects
(POST-redirect-GET, so that a reload never sends it again), after rolling back whatever the refused action had begun
(``_refused``); its reason goes with the redirect as a flash message."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from lms.auth import stash
from lms.cohorts.access import participant_required
from lms.core import csvsafe, idempotency
from lms.core.access import role_required
from lms.core.boundary import discard_writes
from lms.core.errors import DomainError, Invalid, NotFound
from lms.core.formatting import deadline_text, local_session_text, moment_text, viewer_zone
from lms.core.input import MAX_ID
from lms.core.regions import PROVINCES, kabkota_name, province_name
from lms.core.time import now_utc
from lms.extensions import db
from lms.ukppg import services
from lms.ukppg.models import ExamSession, Registration
from lms.ukppg.sites import COLUMNS as SITE_COLUMNS
from lms.ukppg.sites import EXAMPLE as SITE_EXAMPLE
from lms.ukppg.sites import decode_sites, import_sites, parse_sites

bp = Blueprint("ukppg", __name__, url_prefix="/sertifikasi/ukppg")
admin_bp = Blueprint("ukppg_admin", __name__, url_prefix="/admin/ukppg")
#: The stash scope of the sites upload (the reasons a file was refused, for the page after the redirect).
SITES_UPLOAD = "ukppg-sites"


class SessionForm(Schema):
    """The session form: an id within the column's range (``"²"`` or ``"99999999999"`` are no session)."""

    class Meta:
        unknown = EXCLUDE  # csrf_token

    session_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    action = fields.String(load_default="register", validate=validate.OneOf(("register", "change")))
    idempotency_key = fields.String(load_default=None)


def _session_filter() -> services.SessionFilter:
    """The list's filters from the query string; a value that is no province, kab/kota or date is ignored."""
    province = request.args.get("provinsi", "").strip()
    kabkota = request.args.get("kabkota", "").strip()
    try:
        day = date.fromisoformat(request.args.get("tanggal", "").strip()[:10]) if request.args.get("tanggal") else None
    except ValueError:
        day = None
    return services.SessionFilter(province=province if province in PROVINCES else None,
                                  kabkota=kabkota if len(kabkota) == 4 and kabkota.isascii() and kabkota.isdigit()
                                  else None, day=day)


def _choose_page(nearest: list | None = None):
    now = now_utc()
    registration = services.active_registration(g.enrollment)
    try:
        services.require_can_register(g.enrollment, now=now)
        refusal = None
    except DomainError as exc:
        refusal = exc
    today = services.local_today(g.enrollment, now)
    where = _session_filter()
    sessions = services.list_sessions(g.enrollment, today=today, where=where)
    window = services.registration_window(g.enrollment)
    return render_template("ukppg/choose.html", sessions=sessions, registration=registration, refusal=refusal,
                           province_name=province_name, closes_text=deadline_text(window.closes_at, "Asia/Jakarta"),
                           own_province=(g.enrollment.kode_kabkota or "")[:2],
                           own_kabkota=g.enrollment.kode_kabkota, where=where, nearest=nearest,
                           places=services.session_places(today=today), kabkota_name=kabkota_name,
                           # One key per form load: a double click or a resent form registers once.
                           idempotency_key=uuid4().hex)


@bp.get("/")
@participant_required
def choose():
    return _choose_page(nearest=_nearest(request.args.get("penuh", type=int)))


@bp.post("/")
@participant_required
def register():
    now = now_utc()
    session_id = 0
    try:
        try:
            form = SessionForm().load(request.form)
        except ValidationError:
            raise Invalid(_("Pilih salah satu sesi ujian.")) from None
        session_id = form["session_id"]
        if form["action"] == "change":
            if request.form.get("confirm") != "yes":
                return _confirm_change(session_id)
            services.change(g.enrollment, session_id, now=now)
        else:
            idempotency.run_once(g.enrollment.user_id, form["idempotency_key"] or None,
                                 scope="ukppg.register_page", payload={"session_id": session_id}, now=now,
                                 action=lambda: _registered(services.register(g.enrollment, session_id, now=now)))
    except DomainError as exc:
        # The page after the redirect offers the nearest sessions with a free seat when this one was full.
        full = {"penuh": session_id} if isinstance(exc, services.SeatFull) else {}
        return _refused(exc, url_for("ukppg.choose", **full))
    flash(_("Pendaftaran UKPPPG berhasil."), "success")
    return redirect(url_for("ukppg.confirmation"))


def _seat_text(session: ExamSession) -> str:
    return f"{session.site.name}, {local_session_text(session.date, session.start, session.site.province)}"


def _confirm_change(session_id: int):
    """Moving gives the current seat away: say which seat goes and which one comes, and ask (no JavaScript)."""
    registration = services.active_registration(g.enrollment)
    if registration is None:
        raise services.NotRegistered()
    target = db.session.get(ExamSession, session_id)
    if target is None:
        raise NotFound(_("Sesi UKPPPG tidak ditemukan."))
    if target.id == registration.session_id:
        return redirect(url_for("ukppg.confirmation"))
    return render_template("ukppg/change.html", registration=registration, target=target,
                           old_seat=_seat_text(registration.session), new_seat=_seat_text(target))


def _refused(exc: DomainError, to: str):
    """A refused form post: nothing it began is kept, and the page it redirects to shows the reason."""
    message = str(exc.message)
    discard_writes()
    flash(message, "error")
    return redirect(to, 303)


def _nearest(session_id: int | None) -> list | None:
    """After ``seat_full`` (``?penuh=<session>``): the nearest sessions with a free seat, to register for in one
    tap."""
    full = db.session.get(ExamSession, session_id) if session_id and 0 < session_id <= MAX_ID else None
    return services.nearest_sessions(g.enrollment, full, today=services.local_today(g.enrollment, now_utc())) \
        if full is not None else None


def _registered(registration: Registration) -> idempotency.Answer:
    return idempotency.Answer(201, {"number": registration.number, "session_id": registration.session_id})


@bp.get("/batal")
@participant_required
def confirm_cancel():
    """What cancelling will do, and the button that does it (works without JavaScript)."""
    registration = services.active_registration(g.enrollment)
    if registration is None:
        return redirect(url_for("ukppg.choose"))
    return render_template("ukppg/cancel.html", registration=registration, seat=_seat_text(registration.session))


@bp.post("/batal")
@participant_required
def cancel():
    if request.form.get("confirm") != "yes":
        return redirect(url_for("ukppg.confirm_cancel"))
    try:
        services.cancel(g.enrollment, now=now_utc())
    except DomainError as exc:
        return _refused(exc, url_for("ukppg.confirmation"))  # which shows the sessions when nothing is registered
    flash(_("Pendaftaran UKPPPG dibatalkan. Kursi Anda dikembalikan."), "success")
    return redirect(url_for("dashboard.index"))


def _confirmation_page() -> str | None:
    registration = services.active_registration(g.enrollment)
    if registration is None:
        return None
    window = services.registration_window(g.enrollment)
    return render_template("ukppg/confirmation.html", registration=registration, enrollment=g.enrollment,
                           province_name=province_name, can_change=window.open_at(now_utc()),
                           closes_text=deadline_text(window.closes_at, "Asia/Jakarta"),
                           registered_text=moment_text(registration.created_at, viewer_zone()))


@bp.get("/konfirmasi")
@participant_required
def confirmation():
    return _confirmation_page() or redirect(url_for("ukppg.choose"))


def _sites_page(*, errors: dict | None = None, message=None):
    sessions = services.list_sessions(None)
    registered = db.session.scalar(select(func.count()).where(Registration.cancelled_at.is_(None)))
    return render_template("ukppg/admin_sites.html", sessions=sessions, registered=registered,
                           province_name=province_name, errors=errors or {}, message=message)


@admin_bp.get("/")
@role_required("admin_angkatan")
def sites():
    kept = stash.get(SITES_UPLOAD, now=now_utc()) or {}  # a refused upload redirected here: its reasons
    return _sites_page(errors=kept.get("errors"), message=kept.get("message"))


@admin_bp.post("/")
@role_required("admin_angkatan")
def upload_sites():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid(_("Pilih berkas CSV TUK untuk diunggah."))
        stats = import_sites(parse_sites(decode_sites(upload.read())))
    except Invalid as exc:
        return stash.refuse(SITES_UPLOAD, {"errors": exc.details, "message": str(exc.message)},
                            url_for("ukppg_admin.sites"), now=now_utc())
    stash.drop(SITES_UPLOAD)
    flash(_("TUK diimpor: %(s)s TUK baru, %(n)s sesi baru, %(u)s sesi diperbarui.", s=stats["sites_created"],
            n=stats["sessions_created"], u=stats["sessions_updated"]), "success")
    return redirect(url_for("ukppg_admin.sites"))


@admin_bp.get("/pendaftaran.csv")
@role_required("admin_angkatan")
def export_csv() -> Response:
    cohort = request.args.get("cohort", "")[:32] or None
    return Response(services.export_csv(cohort, tz=viewer_zone()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=pendaftaran-ukpppg.csv"})


@admin_bp.get("/tuk-contoh.csv")
@role_required("admin_angkatan")
def sites_template() -> Response:
    """The exam-site CSV template: the importer's columns and one example row."""
    return Response(csvsafe.template(SITE_COLUMNS, SITE_EXAMPLE), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tuk-contoh.csv"})
