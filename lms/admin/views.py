"""Cohort-admin pages: thin views that parse, call one service, then render or redirect (the request boundary
commits on success and rolls back a refusal)."""

from __future__ import annotations

import os

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.utils import secure_filename

from lms.admin import enrollments, forms, reports, services, timeline
from lms.admin.forms import FormState
from lms.auth import stash
from lms.cohorts import roster
from lms.cohorts import services as cohorts
from lms.cohorts.models import STATUSES, Cohort
from lms.cohorts.roster_models import RosterImport
from lms.cohorts.uploads import start_roster_import
from lms.core import csvsafe
from lms.core.access import role_required
from lms.core.errors import Invalid, NotFound
from lms.core.formatting import deadline_text, moment_text, viewer_zone
from lms.core.regions import WIB, is_region_code, kabkota_name, province_name, zone, zone_label
from lms.core.time import now_utc
from lms.extensions import db
from lms.notifications.services import smtp_configured

bp = Blueprint("admin", __name__, url_prefix="/admin")

STATUS_LABELS = {"menunggu": _l("Menunggu"), "aktif": _l("Aktif"), "tuntas": _l("Tuntas"),
                 "tidak_tuntas": _l("Tidak tuntas")}
GROUP_LABELS = {"cohort": _l("Angkatan"), "province": _l("Provinsi"), "kabkota": _l("Kabupaten/kota"),
                "school": _l("Satuan pendidikan")}
JOB_LABELS = {"queued": _l("Dalam antrean"), "running": _l("Sedang diproses"), "done": _l("Selesai"),
              "failed": _l("Gagal")}


@bp.context_processor
def _helpers() -> dict:
    return {"status_labels": STATUS_LABELS, "job_labels": JOB_LABELS, "kabkota_name": kabkota_name,
            "province_name": province_name,
            "zone_label": zone_label, "wib": lambda instant: moment_text(instant, viewer_zone()) if instant else "–",
            # An exclusive end instant shown as its last minute (e.g. an extension "until"), in the viewer's zone.
            "wib_deadline": lambda instant: deadline_text(instant, viewer_zone()) if instant else "–",
            "timezones": forms.TIMEZONES}


#: Pages past this are refused like a page past the end would be empty: the offset stays a small number.
MAX_PAGE = 100_000
#: A refused form's fields are kept for the page after the redirect up to this many characters each.
MAX_KEPT = 1_000


def _page_arg() -> int:
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def cursor_args() -> dict:
    """The keyset pager's cursors of the request (``after``/``before``), as given; a bad one is refused (422)."""
    return {key: request.args[key] for key in ("after", "before") if key in request.args}


# --- cohorts --------------------------------------------------------------------------------------------------

@bp.get("/")
@role_required("admin_angkatan")
def index():
    rows = services.cohorts_with_counts()
    picture = timeline.build([cohort for cohort, _count in rows], now_utc().astimezone(zone(WIB)).date())
    return render_template("admin/index.html", rows=rows, timeline=picture)


#: The stash scope of the new-cohort form.
NEW_COHORT = "admin-cohort-new"


def _refuse_form(scope: str, state: FormState, errors: dict, to: str, *, impact: int = 0):
    """POST-redirect-GET for a refused admin form: what was typed and the reasons wait for the page (stash)."""
    values = {name: value[:MAX_KEPT] for name, value in state.values.items()}
    return stash.refuse(scope, {"values": values, "errors": errors, "impact": impact}, to, now=now_utc())


def _kept_form(scope: str, fresh: FormState) -> tuple[FormState, int]:
    """The form as a refused post left it (values, reasons, and the registrations a change would strand), else
    ``fresh``."""
    kept = stash.get(scope, now=now_utc())
    if not kept:
        return fresh, 0
    return FormState(kept["values"], kept["errors"]), kept.get("impact", 0)


def _render_cohort_form(state: FormState, cohort: Cohort | None, status: int = 200, impact: int = 0):
    return render_template("admin/cohort_form.html", form=state, cohort=cohort, impact=impact,
                           curricula=services.curricula()), status


@bp.route("/cohorts/new", methods=["GET", "POST"])
@role_required("admin_angkatan")
def new_cohort():
    if request.method == "GET":
        return _render_cohort_form(*_kept_form(NEW_COHORT, FormState({"timezone": WIB})), None)
    state = FormState.typed(request.form, forms.COHORT_FIELDS)
    try:
        fields = forms.parse_cohort(state, creating=True, curricula=services.curricula_by_id())
        cohort = cohorts.create_cohort(**fields, actor_id=current_user.id, now=now_utc())
    except Invalid as exc:
        return _refuse_form(NEW_COHORT, state, exc.details or {"code": str(exc)}, url_for("admin.new_cohort"))
    stash.drop(NEW_COHORT)
    flash(_("Angkatan %(code)s dibuat.", code=cohort.code), "success")
    return redirect(url_for("admin.cohort", code=cohort.code))


@bp.route("/cohorts/<code>/edit", methods=["GET", "POST"])
@role_required("admin_angkatan")
def edit_cohort(code: str):
    cohort = cohorts.find_cohort(code)
    scope = f"admin-cohort-edit:{cohort.id}"
    if request.method == "GET":
        state, impact = _kept_form(scope, FormState(forms.cohort_values(cohort)))
        return _render_cohort_form(state, cohort, impact=impact)
    state = FormState.typed(request.form, forms.COHORT_FIELDS)
    state.values["code"] = cohort.code
    try:
        fields = forms.parse_cohort(state, creating=False, curricula=services.curricula_by_id())
        now = now_utc()
        stranded_before = services.stranded_registrations(cohort, now)
        cohorts.update_cohort(cohort, **fields, actor_id=current_user.id, now=now)
    except Invalid as exc:
        return _refuse_form(scope, state, exc.details or {"name": str(exc)}, url_for("admin.edit_cohort", code=code))
    impact = services.stranded_registrations(cohort, now) - stranded_before
    if impact > 0 and request.form.get("confirm_impact") != "yes":
        # Registered participants would be left unable to change or cancel: the admin sees it first. The change
        # is rolled back (``stash.refuse``) until the admin confirms on the form shown again.
        return _refuse_form(scope, state, {}, url_for("admin.edit_cohort", code=code), impact=impact)
    stash.drop(scope)
    flash(_("Angkatan %(code)s diperbarui.", code=cohort.code), "success")
    return redirect(url_for("admin.cohort", code=cohort.code))


def _render_cohort(cohort: Cohort, *, extension: FormState | None = None, upload_error: str | None = None,
                   status: int = 200):
    chosen = request.args.get("status") if request.args.get("status") in STATUSES else None
    search = (request.args.get("q") or "").strip()
    region = (request.args.get("wilayah") or "").strip()
    region = region if is_region_code(region) else None
    school = (request.args.get("sekolah") or "").strip()[:16] or None
    page = enrollments.enrollments_page(cohort, status=chosen, search=search or None, page=_page_arg(),
                                        region=region, school=school, **cursor_args())
    windows = {"opens": moment_text(cohort.learning_opens_at, cohort.timezone),
               "closes": deadline_text(cohort.learning_closes_at, cohort.timezone),
               "registration_opens": moment_text(cohort.registration_opens_at, cohort.timezone)
               if cohort.registration_opens_at else None,
               "registration_closes": deadline_text(cohort.registration_closes_at, cohort.timezone)
               if cohort.registration_closes_at else None}
    return render_template("admin/cohort.html", cohort=cohort, windows=windows, counts=services.status_counts(cohort),
                           page=page, chosen=chosen, search=search, region=region, school=school,
                           chart=reports.progress_report(cohort, "province"),
                           extension=extension or FormState(),
                           extensions=services.extensions_of(cohort), imports=services.imports_of(cohort),
                           upload_error=upload_error), status


@bp.get("/cohorts/<code>")
@role_required("admin_angkatan")
def cohort(code: str):
    cohort = cohorts.find_cohort(code)
    extension, _impact = _kept_form(f"admin-extension:{cohort.id}", FormState())
    upload = stash.get(f"admin-roster:{cohort.id}", now=now_utc())
    return _render_cohort(cohort, extension=extension, upload_error=upload and upload["message"])


@bp.get("/cohorts/<code>/peserta.csv")
@role_required("admin_angkatan")
def enrollments_csv(code: str):
    """Every participant of the cohort (optionally one status or region) with their progress, streamed."""
    cohort = cohorts.find_cohort(code)
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    region = request.args.get("wilayah") if is_region_code(request.args.get("wilayah")) else None
    return csv_download(enrollments.enrollments_csv(cohort, status=status, region=region),
                        f"peserta-{cohort.code}.csv")


def csv_download(chunks, filename: str) -> Response:
    """A CSV attachment streamed from text chunks, read within this request's app context."""
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={secure_filename(filename)}"})


@bp.post("/cohorts/<code>/extensions")
@role_required("admin_angkatan")
def extend_participant(code: str):
    cohort = cohorts.find_cohort(code)
    state = FormState.typed(request.form, forms.EXTENSION_FIELDS)
    try:
        email, until, reason = forms.parse_extension(state)
        if request.form.get("confirm") != "yes":  # the admin ticks what the grant does, as for a bulk extension
            raise Invalid(details={"confirm": _("Centang pernyataan untuk memberi perpanjangan.")})
        services.extend(cohort, email, until, reason, actor_id=current_user.id, now=now_utc())
    except Invalid as exc:
        return _refuse_form(f"admin-extension:{cohort.id}", state, exc.details or {"email": str(exc)},
                            url_for("admin.cohort", code=cohort.code) + "#perpanjangan")
    stash.drop(f"admin-extension:{cohort.id}")
    flash(_("Masa belajar %(email)s diperpanjang sampai %(until)s.", email=email, until=until.isoformat()), "success")
    return redirect(url_for("admin.cohort", code=cohort.code))


# --- rosters --------------------------------------------------------------------------------------------------

def _upload_size(upload) -> int:
    try:
        upload.stream.seek(0, os.SEEK_END)
        size = upload.stream.tell()
        upload.stream.seek(0)
    except (AttributeError, OSError):
        return request.content_length or 0
    return size


@bp.post("/cohorts/<code>/roster")
@role_required("admin_angkatan")
def upload_roster(code: str):
    cohort = cohorts.find_cohort(code)
    upload = request.files.get("file")
    try:
        filename = forms.roster_filename(upload)
    except Invalid as exc:
        return stash.refuse(f"admin-roster:{cohort.id}", {"message": str(exc)},
                            url_for("admin.cohort", code=cohort.code) + "#unggah", now=now_utc())
    stash.drop(f"admin-roster:{cohort.id}")
    job = start_roster_import(cohort, filename, upload.stream, _upload_size(upload), now=now_utc(),
                              actor_id=current_user.id, sync_max_bytes=current_app.config["ROSTER_SYNC_MAX_BYTES"],
                              upload_folder=current_app.config["UPLOAD_FOLDER"])
    return redirect(url_for("admin.import_job", import_id=job.id))


def _job(import_id: int) -> RosterImport:
    job = db.session.get(RosterImport, import_id)
    if job is None:
        raise NotFound(_l("Impor daftar peserta %(id)s tidak ditemukan.", id=import_id))
    return job


@bp.get("/imports/<int:import_id>")
@role_required("admin_angkatan")
def import_job(import_id: int):
    job = _job(import_id)
    errors = roster.errors_of(job) if job.status == "failed" else []
    return render_template("admin/import.html", job=job, errors=errors,
                           truncated=job.error_count > len(errors), file_error=roster.translate_reason(job.file_error))


@bp.get("/imports/<int:import_id>.json")
@role_required("admin_angkatan")
def import_job_json(import_id: int):
    return jsonify(roster.job_json(_job(import_id)))


@bp.get("/daftar-peserta-contoh.csv")
@role_required("admin_angkatan")
def roster_template() -> Response:
    """The roster CSV template: the importer's columns and one example row."""
    return Response(csvsafe.template(roster.COLUMNS, roster.EXAMPLE), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=daftar-peserta-contoh.csv"})


# --- progress and outbox --------------------------------------------------------------------------------------

@bp.get("/cohorts/<code>/progress")
@role_required("admin_angkatan")
def progress(code: str):
    cohort = cohorts.find_cohort(code)
    group = request.args.get("group", "cohort")
    export = request.args.get("format") == "csv"
    rows, next_after = reports.report_rows(cohort, group, after=request.args.get("after"), whole=export)
    if export:
        filename = secure_filename(f"progres-{cohort.code}-{group}.csv")
        return Response(reports.report_csv(rows, group), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
    return render_template("admin/progress.html", cohort=cohort, group=group, rows=rows, groups=GROUP_LABELS,
                           statuses=STATUSES, next_after=next_after, paged=bool(request.args.get("after")),
                           schools_per_page=reports.SCHOOLS_PER_PAGE)


@bp.get("/outbox")
@role_required("admin_angkatan")
def outbox():
    return render_template("admin/outbox.html", page=services.outbox_page(page=_page_arg(), **cursor_args()),
                           counts=services.outbox_counts(), smtp=smtp_configured())
