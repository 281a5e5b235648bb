"""Admin tool pages: one participant in full, a bulk extension, the audit-log viewer, the "berisiko" list."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.admin import risk, tools
from lms.admin.views import MAX_PAGE, _helpers, csv_download, cursor_args
from lms.auth import stash
from lms.cohorts import services as cohorts
from lms.core.access import role_required
from lms.core.errors import Invalid
from lms.core.time import now_utc

bp = Blueprint("admin_tools", __name__, url_prefix="/admin")
bp.context_processor(_helpers)


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.values.get(name) or "")
    except ValueError:
        return None


@bp.get("/cohorts/<code>/peserta/<int:enrollment_id>")
@role_required("admin_angkatan")
def participant(code: str, enrollment_id: int):
    cohort = cohorts.find_cohort(code)
    return render_template("admin/participant.html", cohort=cohort, view=tools.participant(cohort, enrollment_id))


@bp.route("/cohorts/<code>/perpanjangan-massal", methods=["GET", "POST"])
@role_required("admin_angkatan")
def bulk_extension(code: str):
    cohort = cohorts.find_cohort(code)
    scope = f"admin-bulk-extension:{cohort.id}"
    if request.method == "GET":
        kept = stash.get(scope, now=now_utc()) or {}  # a refused post redirected here: what was sent, the reasons
        return render_template("admin/bulk_extension.html", cohort=cohort, values=kept.get("values", {}),
                               errors=kept.get("errors", {}))
    upload = request.files.get("file")
    text = request.form.get("emails", "")
    if upload and upload.filename:
        text += "\n" + upload.read(2_000_000).decode("utf-8", errors="replace")
    emails = tools.parse_emails(text)
    values = {"emails": "\n".join(emails), "until": request.form.get("until", ""),
              "reason": request.form.get("reason", "")}
    try:
        if request.form.get("confirm") != "yes":
            raise Invalid(details={"confirm": _("Centang pernyataan untuk memberi perpanjangan.")})
        count = tools.extend_many(cohort, emails, _day("until"), values["reason"], actor_id=current_user.id,
                                  now=now_utc())
    except Invalid as exc:
        # POST-redirect-GET; all or nothing: nobody was extended.
        return stash.refuse(scope, {"values": values, "errors": exc.details or {"emails": str(exc)}},
                            url_for("admin_tools.bulk_extension", code=code), now=now_utc())
    stash.drop(scope)
    flash(_("Masa belajar %(n)s peserta diperpanjang.", n=count), "success")
    return redirect(url_for("admin.cohort", code=cohort.code))


@bp.get("/audit")
@role_required("admin_angkatan")
def audit():
    filters = {key: (request.args.get(key) or "").strip()[:254] for key in ("actor", "action", "subject")}
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    since, until = _day("since"), _day("until")
    result = tools.audit_page(actor=filters["actor"] or None, action=filters["action"] or None,
                              subject=filters["subject"] or None, since=since, until=until, page=page,
                              **cursor_args())
    return render_template("admin/audit.html", page=result, filters=filters,
                           since=since.isoformat() if since else "", until=until.isoformat() if until else "")


def _risk_filters() -> dict:
    region = (request.values.get("wilayah") or "").strip()
    school = (request.values.get("sekolah") or "").strip()[:16]
    return {"wilayah": region if region.isdigit() and len(region) in (2, 4) else "", "sekolah": school}


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 12 else None


@bp.get("/cohorts/<code>/berisiko")
@role_required("admin_angkatan")
def at_risk(code: str):
    cohort = cohorts.find_cohort(code)
    filters = _risk_filters()
    region, school = filters["wilayah"] or None, filters["sekolah"] or None
    if request.args.get("format") == "csv":
        return csv_download(risk.at_risk_csv(cohort, now=now_utc(), region=region, school=school),
                            f"berisiko-{cohort.code}.csv")
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    # The pager's links carry the neighbouring page's edge (an enrollment id), so that a late page costs what the
    # first does; a page number alone (typed, or an old link) still works.
    after, before = (_cursor(request.args.get(name)) for name in ("after", "before"))
    result = risk.at_risk_page(cohort, now=now_utc(), page=page, region=region, school=school, after=after,
                               before=None if after else before)
    return render_template("admin/at_risk.html", cohort=cohort, page=result, filters=filters, gap=risk.GAP,
                           args={key: value for key, value in filters.items() if value},
                           idle_days=risk.IDLE.days)


@bp.post("/cohorts/<code>/berisiko/ingatkan")
@role_required("admin_angkatan")
def remind_at_risk(code: str):
    cohort = cohorts.find_cohort(code)
    filters = {key: value for key, value in _risk_filters().items() if value}
    ids = [int(value) for value in request.form.getlist("ids") if value.isdigit()]
    try:
        queued, skipped = risk.remind(cohort, ids, now=now_utc(), actor_id=current_user.id)
    except Invalid as exc:
        flash(str((exc.details or {}).get("ids") or exc), "error")
        return redirect(url_for("admin_tools.at_risk", code=cohort.code, **filters))
    flash(_("Pengingat dikirim ke %(n)s peserta; %(m)s sudah diingatkan hari ini.", n=queued, m=skipped), "success")
    return redirect(url_for("admin_tools.at_risk", code=cohort.code, **filters))
