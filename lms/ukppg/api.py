"""UKPPPG API: sessions, registering, changing, cancelling; the admin export."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.openapi import document
from lms.api.participant import api_participant_required
from lms.core import idempotency
from lms.core.errors import Invalid
from lms.core.regions import province_name
from lms.core.time import now_utc
from lms.extensions import db
from lms.ukppg import services
from lms.ukppg.models import ExamSession, Registration
from lms.ukppg.sites import import_sites, parse_sites

_AUTH = {"401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}}
_REFUSALS = {"403": {"description": "not_complete / not_participant"},
             "409": {"description": "seat_full / already_registered / session_past"},
             "423": {"description": "window_closed: registration is not open"}}


def session_json(session: ExamSession) -> dict:
    return {"id": session.id, "site": session.site.name, "site_id": session.site_id,
            "province": session.site.province, "province_name": province_name(session.site.province),
            "kode_kabkota": session.site.kode_kabkota, "address": session.site.address,
            "date": session.date.isoformat(), "start": session.start.strftime("%H:%M"), "seats": session.seats,
            "seats_left": session.seats_left}


def registration_json(registration: Registration) -> dict:
    return {"number": registration.number, "session_id": registration.session_id,
            "session": session_json(registration.session), "created_at": registration.created_at.isoformat()}


def _session_id() -> int:
    body = request.get_json(silent=True)
    value = body.get("session_id") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(details={"session_id": "integer"})
    return value


document("/ukppg/sessions", "get", summary="Exam sessions, the participant's province first", tag="ukppg",
         responses={"200": {"description": "sessions"}, **_AUTH})


@bp.get("/ukppg/sessions")
@api_participant_required
def get_sessions():
    sessions = services.list_sessions(g.enrollment, today=services.local_today(g.enrollment, now_utc()))
    return jsonify({"sessions": [session_json(s) for s in sessions]})


document("/ukppg/registrations", "post", summary="Register for a session (a seat is taken atomically)", tag="ukppg",
         parameters=[{"name": idempotency.HEADER, "in": "header", "required": False,
                      "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH},
                      "description": "A key of the client's choice (e.g. a UUID), one per registration attempt. "
                                     "Repeated within 24 hours by the same user, the request is not done again: "
                                     "the first answer comes back (same status and body, header "
                                     "Idempotent-Replayed: true). A refused request leaves no key behind."}],
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["session_id"], "properties": {"session_id": {"type": "integer"}}}}}},
         responses={"201": {"description": "number, session_id"}, **_REFUSALS,
                    "409": {"description": "seat_full / already_registered / session_past / "
                                           "idempotency_in_progress (the same key is still being processed)"},
                    "422": {"description": "invalid / idempotency_key_reused (the key was sent with another body)"}})


@bp.post("/ukppg/registrations")
@api_participant_required
def post_registration():
    session_id, now = _session_id(), now_utc()

    def register() -> idempotency.Answer:
        # The body is built before the commit, which would expire and reload the rows.
        return idempotency.Answer(201, registration_json(services.register(g.enrollment, session_id, now=now)))

    answer, replayed = idempotency.run_once(g.enrollment.user_id, request.headers.get(idempotency.HEADER),
                                            scope="ukppg.register", payload={"session_id": session_id}, now=now,
                                            action=register)
    db.session.commit()
    response = jsonify(answer.body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, answer.status


document("/ukppg/registrations/me", "get", summary="The participant's registration", tag="ukppg",
         responses={"200": {"description": "registration"}, "404": {"description": "not_registered"}})


@bp.get("/ukppg/registrations/me")
@api_participant_required
def get_my_registration():
    registration = services.active_registration(g.enrollment)
    if registration is None:
        raise services.NotRegistered()
    return jsonify(registration_json(registration))


document("/ukppg/registrations/me", "put", summary="Change to another session", tag="ukppg",
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["session_id"], "properties": {"session_id": {"type": "integer"}}}}}},
         responses={"200": {"description": "registration"}, **_REFUSALS})


@bp.put("/ukppg/registrations/me")
@api_participant_required
def put_my_registration():
    registration = services.change(g.enrollment, _session_id(), now=now_utc())
    body = registration_json(registration)
    db.session.commit()
    return jsonify(body)


document("/ukppg/registrations/me", "delete", summary="Cancel; the seat goes back", tag="ukppg",
         responses={"200": {"description": "cancelled"}, "404": {"description": "not_registered"},
                    "423": {"description": "window_closed"}})


@bp.delete("/ukppg/registrations/me")
@api_participant_required
def delete_my_registration():
    registration = services.cancel(g.enrollment, now=now_utc())
    db.session.commit()
    return jsonify({"number": registration.number, "cancelled": True})


document("/ukppg/registrations", "get", summary="All active registrations (admin), JSON or CSV", tag="ukppg",
         parameters=[{"name": "cohort", "in": "query", "schema": {"type": "string"}},
                     {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}],
         responses={"200": {"description": "registrations"}, **_AUTH})


@bp.get("/ukppg/registrations")
@api_role_required("admin_angkatan")
def export_registrations():
    rows = services.export_rows(request.args.get("cohort"))
    if request.args.get("format") == "csv":
        return Response(services.export_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=pendaftaran-ukpppg.csv"})
    return jsonify({"registrations": rows, "total": len(rows)})


document("/ukppg/sites", "get", summary="Exam sites and their sessions with seats (admin)", tag="ukppg",
         responses={"200": {"description": "sites"}, **_AUTH})


@bp.get("/ukppg/sites")
@api_role_required("admin_angkatan")
def list_sites():
    sessions = services.list_sessions(None)
    return jsonify({"sessions": [{**session_json(s), "seats_taken": s.seats_taken} for s in sessions]})


document("/ukppg/sites", "post", summary="Import exam sites and sessions (CSV body: site, kode_kabkota, address, "
         "date, start, seats); the whole file or nothing", tag="ukppg",
         request_body={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
         responses={"200": {"description": "sites_created, sessions_created, sessions_updated"},
                    "422": {"description": "invalid: every bad line"}, **_AUTH})


@bp.post("/ukppg/sites")
@api_role_required("admin_angkatan")
def import_sites_api():
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(details={"body": "UTF-8 CSV expected"}) from exc
    stats = import_sites(parse_sites(text))
    db.session.commit()
    return jsonify(stats)
