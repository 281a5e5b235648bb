"""Regional progress API: the same reports and lists as the /laporan/ pages, for admins (everything), a dinas user
(its kab/kota) and an LPMP (its province). ``region`` defaults to the caller's own; a region outside it is 403."""

from __future__ import annotations

from flask import Response, g, url_for
from marshmallow import Schema, fields, validate

from lms.admin import enrollments, regional, reports, schemas
from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import errors
from lms.cohorts.models import STATUSES

TAGS = ["laporan wilayah"]
_REGION = {"description": "A province (2 digits) or kab/kota (4 digits) code within the caller's own region; "
                          "default: the caller's (first) own region, or all of Indonesia for an admin"}


class RegionQuery(Schema):
    region = fields.String(validate=validate.Length(min=2, max=4), metadata=_REGION)


class RegionalCohort(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    learning_start = fields.Date(required=True)
    learning_end = fields.Date(required=True)
    participants = fields.Integer(required=True, metadata={"description": "Participants in the region"})


class RegionalCohorts(Schema):
    region = fields.String(required=True, allow_none=True)
    scope = fields.List(fields.String(), required=True, allow_none=True,
                        metadata={"description": "The caller's own regions; null: everything (admin)"})
    cohorts = fields.List(fields.Nested(RegionalCohort), required=True)


class RegionalProgressQuery(RegionQuery):
    group = fields.String(load_default="kabkota", validate=validate.OneOf(regional.GROUPS))
    after = schemas.school_cursor()
    output = fields.String(data_key="format", load_default="json", validate=validate.OneOf(("json", "csv")))


class RegionalProgress(schemas.ProgressReport):
    region = fields.String(required=True, allow_none=True)


class RegionalEnrollmentsQuery(RegionQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    school = fields.String(validate=validate.Length(min=1, max=16), metadata={"description": "An NPSN"})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    after = fields.String(validate=validate.Length(min=1, max=600),
                          metadata={"description": "Opaque cursor from `next_cursor` (keyset paging)"})


class RegionalEnrollments(Schema):
    cohort = fields.String(required=True)
    region = fields.String(required=True, allow_none=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    enrollments = fields.List(fields.Nested(schemas.EnrollmentRow), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    next = fields.String(required=True, allow_none=True)


def _region(region: str | None) -> tuple[tuple[str, ...] | None, str | None]:
    scope = regional.report_scope(g.api_user)
    return scope, regional.resolve_region(scope, region)


@bp.get("/regional/cohorts")
@bp.doc(tags=TAGS, summary="Cohorts with participants in the caller's region, with their count there")
@api_role_required(*regional.VIEW_ROLES)
@bp.arguments(RegionQuery, location="query", as_kwargs=True)
@bp.response(200, RegionalCohorts)
@errors(bp, 401, 403)
def regional_cohorts(region: str | None = None):
    scope, region = _region(region)
    return {"region": region, "scope": list(scope) if scope is not None else None,
            "cohorts": [{"code": c.code, "name": c.name, "learning_start": c.learning_start,
                         "learning_end": c.learning_end, "participants": n} for c, n in regional.cohorts_in(region)]}


@bp.get("/regional/cohorts/<code>/progress")
@bp.doc(tags=TAGS, summary="A cohort's progress in the caller's region, by province, kab/kota or school")
@api_role_required(*regional.VIEW_ROLES)
@bp.arguments(RegionalProgressQuery, location="query", as_kwargs=True)
@bp.response(200, RegionalProgress)
@bp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                 description="The same rows as CSV (format=csv)")
@errors(bp, 401, 403, 404)
def regional_progress(code: str, group: str, output: str, region: str | None = None, after: str | None = None):
    _, region = _region(region)
    cohort = regional.find_cohort(code)
    rows, next_after = reports.report_rows(cohort, group, region, after=after, whole=output == "csv")
    if output == "csv":
        return Response(reports.report_csv(rows, group), mimetype="text/csv", headers={
            "Content-Disposition": f"attachment; filename=progres-{cohort.code}-{region or 'semua'}-{group}.csv"})
    following = (url_for("api.regional_progress", code=cohort.code, group=group, region=region, after=next_after)
                 if next_after else None)
    return {"cohort": cohort.code, "group": group, "region": region, "rows": [r.as_dict() for r in rows],
            "next_cursor": next_after, "next": following}


@bp.get("/regional/cohorts/<code>/enrollments")
@bp.doc(tags=TAGS, summary="A cohort's participants in the caller's region (drill-down), by e-mail, keyset-paged",
        description=schemas._PAGING)
@api_role_required(*regional.VIEW_ROLES)
@bp.arguments(RegionalEnrollmentsQuery, location="query", as_kwargs=True)
@bp.response(200, RegionalEnrollments)
@errors(bp, 401, 403, 404)
def regional_enrollments(code: str, per_page: int, region: str | None = None, status: str | None = None,
                         school: str | None = None, after: str | None = None):
    _, region = _region(region)
    cohort = regional.find_cohort(code)
    result = enrollments.enrollments_page(cohort, status=status, region=region, school=school, per_page=per_page,
                                          after=after)
    items = [{"email": r["email"], "name": r["name"], "status": r["status"], "kode_kabkota": r["kode_kabkota"],
              "completed_at": r["completed_at"].isoformat() if r["completed_at"] else None,
              "extended_until": r["extended_until"].isoformat() if r["extended_until"] else None}
             for r in result.rows]
    following = (url_for("api.regional_enrollments", code=cohort.code, region=region, status=status, school=school,
                         per_page=per_page, after=result.next_cursor) if result.next_cursor else None)
    return {"cohort": cohort.code, "region": region, "per_page": per_page, "total": result.total,
            "enrollments": items, "next_cursor": result.next_cursor, "next": following}

