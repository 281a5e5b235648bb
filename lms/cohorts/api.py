"""Cohort administration API (SPEC §6): cohorts, enrollments, rosters, extensions, progress reports."""

from __future__ import annotations

import io
from datetime import date

from flask import Response, current_app, g, jsonify, request, url_for
from sqlalchemy import func, select

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.openapi import document
from lms.auth.models import User
from lms.cohorts import reports, roster, services
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterImport
from lms.cohorts.tasks import import_roster
from lms.core import audit
from lms.core.errors import Invalid, NotFound
from lms.core.time import now_utc
from lms.extensions import db
from lms.modules.models import Curriculum

ADMIN = "admin_angkatan"
_AUTH = {"401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}}
_CODE = [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]
_WINDOW_FIELDS = ("learning_start", "learning_end", "registration_start", "registration_end")
_COHORT_SCHEMA = {"type": "object", "properties": {
    "code": {"type": "string"}, "name": {"type": "string"}, "programme_year": {"type": "integer"},
    "learning_start": {"type": "string", "format": "date"}, "learning_end": {"type": "string", "format": "date"},
    "registration_start": {"type": "string", "format": "date", "nullable": True},
    "registration_end": {"type": "string", "format": "date", "nullable": True},
    "timezone": {"type": "string"}, "curriculum": {"type": "string", "nullable": True}}}


def cohort_json(cohort: Cohort, participants: int | None = None) -> dict:
    body = {"code": cohort.code, "name": cohort.name, "programme_year": cohort.programme_year,
            "timezone": cohort.timezone, "learning_start": cohort.learning_start.isoformat(),
            "learning_end": cohort.learning_end.isoformat(),
            "registration_start": cohort.registration_start.isoformat() if cohort.registration_start else None,
            "registration_end": cohort.registration_end.isoformat() if cohort.registration_end else None,
            "learning_opens_at": cohort.learning_opens_at.isoformat(),
            "learning_closes_at": cohort.learning_closes_at.isoformat(),
            "registration_closed_at": cohort.registration_closed_at.isoformat()
            if cohort.registration_closed_at else None,
            "curriculum": cohort.curriculum.code if cohort.curriculum else None}
    if participants is not None:
        body["participants"] = participants
    return body


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(details={"body": "expected a JSON object"})
    return body


def _date(body: dict, key: str, errors: dict, *, required: bool) -> date | None:
    value = body.get(key)
    if value is None:
        if required:
            errors[key] = "required (YYYY-MM-DD)"
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad(errors, key)
    except ValueError:
        return _bad(errors, key)


def _bad(errors: dict, key: str) -> None:
    errors[key] = "expected an ISO date (YYYY-MM-DD)"
    return None


def _curriculum(code: str | None, errors: dict) -> Curriculum | None:
    if code is None:
        return None
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.code == code))
    if curriculum is None:
        errors["curriculum"] = f"unknown curriculum {code}"
    return curriculum


document("/cohorts", "get", summary="Cohorts", tag="angkatan", responses={"200": {"description": "Cohorts"}, **_AUTH})


@bp.get("/cohorts")
@api_role_required(ADMIN)
def list_cohorts():
    counts = dict(db.session.execute(select(Enrollment.cohort_id, func.count()).group_by(Enrollment.cohort_id)).all())
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.learning_opens_at, Cohort.code))
    return jsonify({"cohorts": [cohort_json(c, counts.get(c.id, 0)) for c in cohorts]})


document("/cohorts", "post", summary="Create a cohort", tag="angkatan",
         request_body={"required": True, "content": {"application/json": {"schema": _COHORT_SCHEMA}}},
         responses={"201": {"description": "Created"}, "422": {"description": "invalid"}, **_AUTH})


@bp.post("/cohorts")
@api_role_required(ADMIN)
def create_cohort():
    body, errors = _body(), {}
    start = _date(body, "learning_start", errors, required=True)
    end = _date(body, "learning_end", errors, required=True)
    reg_start = _date(body, "registration_start", errors, required=False)
    reg_end = _date(body, "registration_end", errors, required=False)
    code, name, year = body.get("code"), body.get("name"), body.get("programme_year")
    if not isinstance(code, str) or not code.strip() or len(code) > 32:
        errors["code"] = "required, at most 32 characters"
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "required"
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["programme_year"] = "a year, e.g. 2024"
    curriculum = _curriculum(body.get("curriculum"), errors)
    if errors:
        raise Invalid(details=errors)
    cohort = services.create_cohort(code=code.strip(), name=name.strip(), programme_year=year, learning_start=start,
                                    learning_end=end, timezone=body.get("timezone") or "Asia/Jakarta",
                                    curriculum=curriculum, registration_start=reg_start, registration_end=reg_end)
    audit.record("cohort.create", "cohort", cohort.code, actor_id=g.api_user.id, data=cohort_json(cohort))
    db.session.commit()
    return jsonify(cohort_json(cohort, 0)), 201


document("/cohorts/{code}", "get", summary="One cohort", tag="angkatan", parameters=_CODE,
         responses={"200": {"description": "The cohort"}, "404": {"description": "not_found"}, **_AUTH})


@bp.get("/cohorts/<code>")
@api_role_required(ADMIN)
def get_cohort(code: str):
    cohort = services.find_cohort(code)
    count = db.session.scalar(select(func.count()).where(Enrollment.cohort_id == cohort.id))
    return jsonify(cohort_json(cohort, count))


document("/cohorts/{code}", "patch", summary="Change a cohort's windows, time zone, name or curriculum",
         tag="angkatan", parameters=_CODE,
         request_body={"required": True, "content": {"application/json": {"schema": _COHORT_SCHEMA}}},
         responses={"200": {"description": "The cohort"}, "422": {"description": "invalid"}, **_AUTH})


@bp.patch("/cohorts/<code>")
@api_role_required(ADMIN)
def patch_cohort(code: str):
    cohort = services.find_cohort(code)
    body, errors = _body(), {}
    before = cohort_json(cohort)
    current = {"learning_start": cohort.learning_start, "learning_end": cohort.learning_end,
               "registration_start": cohort.registration_start, "registration_end": cohort.registration_end}
    for key in _WINDOW_FIELDS:
        if key in body:
            current[key] = _date(body, key, errors, required=key.startswith("learning"))
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            errors["name"] = "required"
        else:
            cohort.name = body["name"].strip()
    if "curriculum" in body:
        cohort.curriculum = _curriculum(body["curriculum"], errors)
    if errors:
        raise Invalid(details=errors)
    services.set_windows(cohort, timezone=body.get("timezone") or cohort.timezone, **current)
    audit.record("cohort.update", "cohort", cohort.code, actor_id=g.api_user.id,
                 data={"before": before, "after": cohort_json(cohort)})
    db.session.commit()
    return jsonify(cohort_json(cohort))


document("/cohorts/{code}/enrollments", "get", summary="Participants of a cohort (paged)", tag="angkatan",
         parameters=[*_CODE, {"name": "status", "in": "query", "schema": {"type": "string",
                                                                           "enum": list(reports.STATUSES)}},
                     {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                     {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 1000}}],
         responses={"200": {"description": "enrollments, page, per_page, total"}, **_AUTH})


@bp.get("/cohorts/<code>/enrollments")
@api_role_required(ADMIN)
def list_enrollments(code: str):
    cohort = services.find_cohort(code)
    status = request.args.get("status")
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 100, type=int), 1), 1000)
    conditions = [Enrollment.cohort_id == cohort.id]
    if status:
        if status not in reports.STATUSES:
            raise Invalid(details={"status": ", ".join(reports.STATUSES)})
        conditions.append(Enrollment.status == status)
    total = db.session.scalar(select(func.count()).select_from(Enrollment).where(*conditions))
    rows = db.session.execute(select(Enrollment, User.email, User.name).join(User, User.id == Enrollment.user_id)
                              .where(*conditions).order_by(User.email).limit(per_page).offset((page - 1) * per_page))
    items = [{"email": email, "name": name, "status": e.status, "kode_kabkota": e.kode_kabkota,
              "completed_at": e.completed_at.isoformat() if e.completed_at else None,
              "extended_until": e.extended_until.isoformat() if e.extended_until else None}
             for e, email, name in rows]
    return jsonify({"cohort": cohort.code, "status": status, "page": page, "per_page": per_page, "total": total,
                    "pages": (total + per_page - 1) // per_page, "enrollments": items, "items": items})


document("/cohorts/{code}/roster", "post", summary="Import a roster CSV (whole file or nothing)", tag="angkatan",
         parameters=_CODE,
         request_body={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
         responses={"200": {"description": "Imported (small file)"},
                    "202": {"description": "Queued (large file); poll the import's URL"},
                    "422": {"description": "invalid: every bad row with its line number and reason"},
                    "500": {"description": "roster_import_failed: a server error; the import is failed, nothing "
                                           "imported, the reason in message"}, **_AUTH})


@bp.post("/cohorts/<code>/roster")
@api_role_required(ADMIN)
def post_roster(code: str):
    cohort = services.find_cohort(code)
    if request.mimetype not in ("text/csv", "application/csv", "text/plain"):
        raise Invalid(details={"content_type": "send the CSV as the body with Content-Type: text/csv"})
    now = now_utc()
    size = request.content_length or 0
    filename = request.args.get("filename", "roster.csv")
    if size > current_app.config["ROSTER_SYNC_MAX_BYTES"]:
        path = roster.store_upload(request.stream, current_app.config["UPLOAD_FOLDER"])
        job = roster.create_import(cohort, filename, now=now, actor_id=g.api_user.id, stored_path=path)
        db.session.commit()
        import_roster.delay(job.id)
        response = jsonify(roster.job_json(job))
        response.status_code = 202
        response.headers["Location"] = url_for("api.get_roster_import", import_id=job.id)
        return response
    job = roster.create_import(cohort, filename, now=now, actor_id=g.api_user.id)
    db.session.commit()
    job = roster.run_import(job, io.BytesIO(request.get_data()), now=now)
    body = roster.job_json(job)
    if roster.server_failure(job):
        return jsonify({"code": "roster_import_failed", "message": job.file_error, "import": body, "errors": []}), 500
    if job.status == "failed":
        message = job.file_error or f"{job.error_count} baris tidak valid; tidak ada yang diimpor."
        return jsonify({"code": "invalid", "message": message, "import": body,
                        "errors": body.get("errors", [])}), 422
    return jsonify({"import": body, **body})


document("/roster-imports/{import_id}", "get", summary="A roster import: progress and outcome", tag="angkatan",
         parameters=[{"name": "import_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
         responses={"200": {"description": "The import"}, "404": {"description": "not_found"}, **_AUTH})


@bp.get("/roster-imports/<int:import_id>")
@api_role_required(ADMIN)
def get_roster_import(import_id: int):
    job = db.session.get(RosterImport, import_id)
    if job is None:
        raise NotFound()
    return jsonify(roster.job_json(job))


document("/cohorts/{code}/extensions", "post", summary="Extend one participant's learning window", tag="angkatan",
         parameters=_CODE,
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["email", "until", "reason"],
             "properties": {"email": {"type": "string"}, "until": {"type": "string", "format": "date"},
                            "reason": {"type": "string"}}}}}},
         responses={"201": {"description": "Extended"}, "422": {"description": "invalid"},
                    "404": {"description": "not a participant of the cohort"}, **_AUTH})


@bp.post("/cohorts/<code>/extensions")
@api_role_required(ADMIN)
def post_extension(code: str):
    cohort = services.find_cohort(code)
    body, errors = _body(), {}
    until = _date(body, "until", errors, required=True)
    if errors:
        raise Invalid(details=errors)
    enrollment = services.find_enrollment(cohort, str(body.get("email", "")))
    extension = services.extend_participant(enrollment, until, reason=str(body.get("reason", "")), now=now_utc(),
                                            actor_id=g.api_user.id)
    db.session.commit()
    return jsonify({"email": enrollment.user.email, "until": extension.until.isoformat(), "reason": extension.reason,
                    "status": enrollment.status, "granted_at": extension.granted_at.isoformat()}), 201


document("/cohorts/{code}/progress", "get", summary="Progress by cohort, province, kab/kota or school",
         tag="angkatan",
         parameters=[*_CODE, {"name": "group", "in": "query",
                              "schema": {"type": "string", "enum": list(reports.GROUPS)}},
                     {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}],
         responses={"200": {"description": "Rows, as JSON or CSV"}, **_AUTH})


@bp.get("/cohorts/<code>/progress")
@api_role_required(ADMIN)
def get_progress_report(code: str):
    cohort = services.find_cohort(code)
    group = request.args.get("group", "province")
    rows = reports.progress_report(cohort, group)
    if request.args.get("format") == "csv":
        return Response(reports.report_csv(rows, group), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=progres-{cohort.code}-{group}.csv"})
    return jsonify({"cohort": cohort.code, "group": group, "rows": [r.as_dict() for r in rows]})
