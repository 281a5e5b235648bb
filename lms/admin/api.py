"""Cohort administration API (SPEC §6): cohorts, enrollments, rosters, extensions, progress reports.

Declared operations (see ``lms.api``): the schemas in ``lms.admin.schemas`` check each request's shape and shape
each response; the rules are the cohort services', the same the admin pages call; the request boundary commits.
"""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, request, stream_with_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.admin import enrollments, reports, schemas
from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import errors
from lms.cohorts import roster, services
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterImport
from lms.cohorts.uploads import start_roster_import
from lms.core.errors import Invalid, NotFound
from lms.core.time import now_utc
from lms.extensions import db

ADMIN = "admin_angkatan"
TAGS = ["angkatan"]
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
_WINDOW_FIELDS = ("learning_start", "learning_end", "registration_start", "registration_end")


def cohort_json(cohort: Cohort, participants: int | None = None) -> dict:
    body = {"code": cohort.code, "name": cohort.name, "programme_year": cohort.programme_year,
            "timezone": cohort.timezone, "learning_start": cohort.learning_start,
            "learning_end": cohort.learning_end, "registration_start": cohort.registration_start,
            "registration_end": cohort.registration_end,
            "learning_opens_at": cohort.learning_opens_at.isoformat(),
            "learning_closes_at": cohort.learning_closes_at.isoformat(),
            "registration_closed_at": cohort.registration_closed_at.isoformat()
            if cohort.registration_closed_at else None,
            "curriculum": cohort.curriculum.code if cohort.curriculum else None}
    if participants is not None:
        body["participants"] = participants
    return body


def _participants(cohort: Cohort) -> int:
    return db.session.scalar(select(func.count()).where(Enrollment.cohort_id == cohort.id))


@bp.get("/cohorts")
@bp.doc(tags=TAGS, summary="Cohorts, with their participant counts")
@api_role_required(ADMIN)
@bp.response(200, schemas.CohortList)
@errors(bp, 401, 403)
def list_cohorts():
    counts = dict(db.session.execute(select(Enrollment.cohort_id, func.count()).group_by(Enrollment.cohort_id)).all())
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.learning_opens_at, Cohort.code))
    return {"cohorts": [cohort_json(c, counts.get(c.id, 0)) for c in cohorts]}


@bp.post("/cohorts")
@bp.doc(tags=TAGS, summary="Create a cohort (audited)")
@api_role_required(ADMIN)
@bp.arguments(schemas.CohortIn)
@bp.response(201, schemas.CohortOut)
@errors(bp, 401, 403)
def create_cohort(body: dict):
    curriculum = services.find_curriculum(body.pop("curriculum", None))
    cohort = services.create_cohort(**body, curriculum=curriculum, actor_id=g.api_user.id, now=now_utc())
    return cohort_json(cohort, 0)


@bp.get("/cohorts/<code>")
@bp.doc(tags=TAGS, summary="One cohort")
@api_role_required(ADMIN)
@bp.response(200, schemas.CohortOut)
@errors(bp, 401, 403, 404)
def get_cohort(code: str):
    cohort = services.find_cohort(code)
    return cohort_json(cohort, _participants(cohort))


@bp.patch("/cohorts/<code>")
@bp.doc(tags=TAGS, summary="Change a cohort's windows, time zone, name, year or curriculum (audited)")
@api_role_required(ADMIN)
@bp.arguments(schemas.CohortPatch)
@bp.response(200, schemas.CohortOut)
@errors(bp, 401, 403, 404)
def patch_cohort(body: dict, code: str):
    cohort = services.find_cohort(code)
    fields = {"name": cohort.name, "programme_year": cohort.programme_year, "timezone": cohort.timezone,
              "curriculum": cohort.curriculum, **{key: getattr(cohort, key) for key in _WINDOW_FIELDS}}
    if "curriculum" in body:
        body["curriculum"] = services.find_curriculum(body["curriculum"])
    fields.update(body)
    services.update_cohort(cohort, **fields, actor_id=g.api_user.id, now=now_utc())
    return cohort_json(cohort, _participants(cohort))


@bp.get("/cohorts/<code>/enrollments")
@bp.doc(tags=TAGS, summary="Participants of a cohort, by e-mail (keyset-paged: follow `next`; or all as CSV)",
        description=schemas._PAGING)
@api_role_required(ADMIN)
@bp.arguments(schemas.EnrollmentsQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.EnrollmentPage)
@bp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                 description="Every participant matching `status`, with parts done, streamed (format=csv)")
@errors(bp, 401, 403, 404)
def list_enrollments(code: str, page: int, per_page: int, output: str, status: str | None = None,
                     after: str | None = None):
    cohort = services.find_cohort(code)
    if output == "csv":
        return Response(stream_with_context(enrollments.enrollments_csv(cohort, status=status)), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=peserta-{cohort.code}.csv"})
    result = enrollments.enrollments_page(cohort, status=status, page=page, per_page=per_page, after=after)
    items = [{"email": row["email"], "name": row["name"], "status": row["status"],
              "kode_kabkota": row["kode_kabkota"],
              "completed_at": row["completed_at"].isoformat() if row["completed_at"] else None,
              "extended_until": row["extended_until"].isoformat() if row["extended_until"] else None}
             for row in result.rows]
    following = (url_for("api.list_enrollments", code=cohort.code, after=result.next_cursor, page=page + 1,
                         per_page=per_page, status=status) if result.next_cursor else None)
    return {"cohort": cohort.code, "status": status, "page": page, "per_page": per_page, "total": result.total,
            "pages": (result.total + per_page - 1) // per_page, "enrollments": items, "items": items,
            "next_cursor": result.next_cursor, "next": following}


#: A server error during an import (not the file's content): the job is failed and nothing is imported.
IMPORT_FAILED = "roster_import_failed"


@bp.post("/cohorts/<code>/roster")
@bp.doc(tags=TAGS, summary="Import a roster CSV, sent as the body (whole file or nothing)",
        requestBody={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}})
@api_role_required(ADMIN)
@bp.arguments(schemas.RosterQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.RosterDone, description="Imported (a small file)")
@bp.alt_response(202, schema=schemas.RosterJob, success=True,
                 description="Queued (a large file); poll the import's URL in Location")
@bp.alt_response(422, schema=schemas.RosterRefused,
                 description="invalid: every bad row with its line number and reason, or a bad request")
@bp.alt_response(500, schema=schemas.RosterRefused,
                 description="roster_import_failed: a server error; the import is failed, nothing imported")
@errors(bp, 401, 403, 404, 413)
def post_roster(code: str, filename: str):
    cohort = services.find_cohort(code)
    if request.mimetype not in CSV_TYPES:
        raise Invalid(_l("Kirim berkas CSV sebagai isi permintaan dengan Content-Type: text/csv."),
                      details={"content_type": str(_l("Harus text/csv."))})
    config = current_app.config
    job = start_roster_import(cohort, filename, request.stream, request.content_length or 0, now=now_utc(),
                              actor_id=g.api_user.id, sync_max_bytes=config["ROSTER_SYNC_MAX_BYTES"],
                              upload_folder=config["UPLOAD_FOLDER"])
    body = roster.job_json(job)
    if job.status == "queued":
        response = jsonify(schemas.RosterJob().dump(body))
        response.status_code = 202
        response.headers["Location"] = url_for("api.get_roster_import", import_id=job.id)
        return response
    if job.status == "failed":
        refusal = {"code": Invalid.code, "message": body["file_error"] or str(_l(
            "%(n)s baris tidak valid; tidak ada yang diimpor.", n=job.error_count)),
            "import": body, "errors": body.get("errors", [])}
        status = Invalid.status
        if roster.server_failure(job):
            refusal.update(code=IMPORT_FAILED, errors=[])
            status = 500
        return jsonify(schemas.RosterRefused().dump(refusal)), status
    return {"import": body, **body}


@bp.get("/roster-imports/<int:import_id>")
@bp.doc(tags=TAGS, summary="A roster import: progress and outcome")
@api_role_required(ADMIN)
@bp.response(200, schemas.RosterJob)
@errors(bp, 401, 403, 404)
def get_roster_import(import_id: int):
    job = db.session.get(RosterImport, import_id)
    if job is None:
        raise NotFound(_l("Impor daftar peserta %(id)s tidak ditemukan.", id=import_id))
    return roster.job_json(job)


@bp.post("/cohorts/<code>/extensions")
@bp.doc(tags=TAGS, summary="Extend one participant's learning window (audited)")
@api_role_required(ADMIN)
@bp.arguments(schemas.ExtensionIn)
@bp.response(201, schemas.ExtensionOut)
@errors(bp, 401, 403, 404)
def post_extension(body: dict, code: str):
    cohort = services.find_cohort(code)
    enrollment = services.find_enrollment(cohort, body["email"])
    extension = services.extend_participant(enrollment, body["until"], reason=body["reason"], now=now_utc(),
                                            actor_id=g.api_user.id)
    return {"email": enrollment.user.email, "until": extension.until.isoformat(), "reason": extension.reason,
            "status": enrollment.status, "granted_at": extension.granted_at.isoformat()}


@bp.get("/cohorts/<code>/progress")
@bp.doc(tags=TAGS, summary="Progress by cohort, province, kab/kota or school, as JSON or CSV (format=csv)")
@api_role_required(ADMIN)
@bp.arguments(schemas.ProgressQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.ProgressReport)
@bp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                 description="The same rows as CSV (format=csv)")
@errors(bp, 401, 403, 404)
def get_progress_report(code: str, group: str, output: str, after: str | None = None):
    cohort = services.find_cohort(code)
    rows, next_after = reports.report_rows(cohort, group, after=after, whole=output == "csv")
    if output == "csv":
        return Response(reports.report_csv(rows, group), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=progres-{cohort.code}-{group}.csv"})
    following = (url_for("api.get_progress_report", code=cohort.code, group=group, after=next_after)
                 if next_after else None)
    return {"cohort": cohort.code, "group": group, "rows": [r.as_dict() for r in rows], "next_cursor": next_after,
            "next": following}
