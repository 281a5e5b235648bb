"""Regional progress pages (/laporan/): a dinas user's kab/kota, an LPMP's province, everything for admins; the
cohorts with participants there, each cohort's progress by province, kab/kota or school, and the participants
behind a row (keyset-paged). Every view resolves its region through ``regional.resolve_region`` first."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from werkzeug.utils import secure_filename

from lms.admin import enrollments, regional, reports
from lms.admin.views import GROUP_LABELS, _helpers, cursor_args
from lms.cohorts.models import STATUSES
from lms.core.access import role_required
from lms.core.regions import region_name

bp = Blueprint("regional", __name__, url_prefix="/laporan")
bp.context_processor(_helpers)


@bp.context_processor
def _regional_helpers() -> dict:
    return {"region_name": region_name}


def _scope_and_region() -> tuple[tuple[str, ...] | None, str | None]:
    scope = regional.report_scope(current_user)
    return scope, regional.resolve_region(scope, request.args.get("wilayah"))


@bp.get("/")
@role_required(*regional.VIEW_ROLES)
def index():
    scope, region = _scope_and_region()
    return render_template("admin/regional_index.html", scope=scope, region=region,
                           rows=regional.cohorts_in(region))


@bp.get("/<code>")
@role_required(*regional.VIEW_ROLES)
def progress(code: str):
    scope, region = _scope_and_region()
    cohort = regional.find_cohort(code)
    group = request.args.get("group") if request.args.get("group") in regional.GROUPS else "kabkota"
    export = request.args.get("format") == "csv"
    rows, next_after = reports.report_rows(cohort, group, region, after=request.args.get("after"), whole=export)
    if export:
        filename = secure_filename(f"progres-{cohort.code}-{region or 'semua'}-{group}.csv")
        return Response(reports.report_csv(rows, group), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
    return render_template("admin/regional_progress.html", cohort=cohort, scope=scope, region=region, group=group,
                           rows=rows, groups={g: GROUP_LABELS[g] for g in regional.GROUPS}, statuses=STATUSES,
                           next_after=next_after, paged=bool(request.args.get("after")),
                           schools_per_page=reports.SCHOOLS_PER_PAGE)


@bp.get("/<code>/peserta")
@role_required(*regional.VIEW_ROLES)
def participants(code: str):
    scope, region = _scope_and_region()
    cohort = regional.find_cohort(code)
    chosen = request.args.get("status") if request.args.get("status") in STATUSES else None
    school = (request.args.get("sekolah") or "").strip()[:16] or None
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    result = enrollments.enrollments_page(cohort, status=chosen, region=region, school=school, page=page,
                                          **cursor_args())
    return render_template("admin/regional_participants.html", cohort=cohort, scope=scope, region=region,
                           school=school, chosen=chosen, page=result)
