"""UKPPPG API: sessions, registering, changing, cancelling; the admin's sites and export (declared operations)."""

from __future__ import annotations

from flask import Response, current_app, g, request

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import Error, errors
from lms.cohorts.participant import api_participant_required
from lms.core import idempotency
from lms.core.formatting import viewer_zone
from lms.core.regions import province_name
from lms.core.time import now_utc
from lms.ukppg import schemas, services
from lms.ukppg.models import ExamSession, Registration
from lms.ukppg.sites import decode_sites, import_sites, parse_sites

_REGISTER_409 = "seat_full / already_registered / session_past / idempotency_in_progress (the same key is still " \
                "being processed)"
_REGISTER_422 = "invalid / idempotency_key_reused (the key was sent with another body)"


def session_json(session: ExamSession) -> dict:
    return {"id": session.id, "site": session.site.name, "site_id": session.site_id,
            "province": session.site.province, "province_name": province_name(session.site.province),
            "kode_kabkota": session.site.kode_kabkota, "address": session.site.address,
            "date": session.date.isoformat(), "start": session.start.strftime("%H:%M"), "seats": session.seats,
            "seats_left": session.seats_left}


def registration_json(registration: Registration) -> dict:
    return {"number": registration.number, "session_id": registration.session_id,
            "session": session_json(registration.session), "created_at": registration.created_at.isoformat()}


@bp.get("/ukppg/sessions")
@bp.doc(tags=["ukppg"], summary="Exam sessions, the participant's province first")
@api_participant_required
@bp.response(200, schemas.UkppgSessionList)
@errors(bp, 401, 403)
def get_sessions():
    sessions = services.list_sessions(g.enrollment, today=services.local_today(g.enrollment, now_utc()))
    return {"sessions": [session_json(s) for s in sessions]}


@bp.post("/ukppg/registrations")
@bp.doc(tags=["ukppg"], summary="Register for a session (a seat is taken atomically)")
@api_participant_required
@bp.arguments(schemas.SessionChoice())  # instances: parsed without building a schema per request
@bp.arguments(schemas.IdempotencyHeader(), location="headers", as_kwargs=True)
@bp.response(201, schemas.UkppgRegistration, headers={"Idempotent-Replayed": {
    "description": "true when the answer is the stored first answer of this Idempotency-Key",
    "schema": {"type": "string", "enum": ["true"]}}})
@errors(bp, 401, 403, 404)
@bp.alt_response(409, schema=Error, description=_REGISTER_409)
@bp.alt_response(422, schema=Error, description=_REGISTER_422)
@errors(bp, 423)
def post_registration(body: dict, key: str | None = None):
    session_id, now = body["session_id"], now_utc()

    def register() -> idempotency.Answer:
        return idempotency.Answer(201, registration_json(services.register(g.enrollment, session_id, now=now)))

    answer, replayed = idempotency.run_once(g.enrollment.user_id, key, scope="ukppg.register",
                                            payload={"session_id": session_id}, now=now, action=register)
    # Prepared: ``registration_json`` emits exactly the fields of ``schemas.UkppgRegistration`` (which still declares
    # the answer), so the schema's dump would only copy it (tests/ukppg/test_statement_count.py compares the two).
    response = current_app.json.response(answer.body)
    response.status_code = answer.status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/ukppg/registrations/me")
@bp.doc(tags=["ukppg"], summary="The participant's registration")
@api_participant_required
@bp.response(200, schemas.UkppgRegistration)
@errors(bp, 401, 403, 404)
def get_my_registration():
    registration = services.active_registration(g.enrollment)
    if registration is None:
        raise services.NotRegistered()
    return registration_json(registration)


@bp.put("/ukppg/registrations/me")
@bp.doc(tags=["ukppg"], summary="Change to another session (the old seat goes back, atomically)")
@api_participant_required
@bp.arguments(schemas.SessionChoice)
@bp.response(200, schemas.UkppgRegistration)
@errors(bp, 401, 403, 404, 409, 423)
def put_my_registration(body: dict):
    return registration_json(services.change(g.enrollment, body["session_id"], now=now_utc()))


@bp.delete("/ukppg/registrations/me")
@bp.doc(tags=["ukppg"], summary="Cancel; the seat goes back")
@api_participant_required
@bp.response(200, schemas.UkppgCancelled)
@errors(bp, 401, 403, 404, 423)
def delete_my_registration():
    registration = services.cancel(g.enrollment, now=now_utc())
    return {"number": registration.number, "cancelled": True}


@bp.get("/ukppg/registrations")
@bp.doc(tags=["ukppg"], summary="All active registrations (admin), JSON or CSV (?format=csv)",
        responses={"200": {"description": "The registrations: JSON, or with format=csv the same rows as CSV",
                           "content": {"application/json": {"schema": schemas.UkppgExport},
                                       "text/csv": {"schema": {"type": "string"}}}}})
@api_role_required("admin_angkatan")
@bp.arguments(schemas.UkppgExportQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.UkppgExport)
@errors(bp, 401, 403)
def export_registrations(cohort: str | None = None, format: str = "json"):  # noqa: A002 - the query's name
    if format == "csv":
        return Response(services.export_csv(cohort, tz=viewer_zone()), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=pendaftaran-ukpppg.csv"})
    rows = services.export_rows(cohort)
    return {"registrations": rows, "total": len(rows)}


@bp.get("/ukppg/sites")
@bp.doc(tags=["ukppg"], summary="Exam sites and their sessions with seats (admin)")
@api_role_required("admin_angkatan")
@bp.response(200, schemas.UkppgAdminSessionList)
@errors(bp, 401, 403)
def list_sites():
    sessions = services.list_sessions(None)
    return {"sessions": [{**session_json(s), "seats_taken": s.seats_taken} for s in sessions]}


@bp.post("/ukppg/sites")
@bp.doc(tags=["ukppg"], summary="Import exam sites and sessions (CSV body: site, kode_kabkota, address, date, start, "
        "seats); the whole file or nothing",
        requestBody={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}})
@api_role_required("admin_angkatan")
@bp.response(200, schemas.SitesImported)
@errors(bp, 401, 403, 413)
@bp.alt_response(422, schema=Error, description="invalid: the file cannot be read, or every bad line (`baris N`)")
def import_sites_api():
    # A CSV body is not a form or JSON: the one raw read of this API; sites.py decodes and checks every byte.
    return import_sites(parse_sites(decode_sites(request.get_data())))
