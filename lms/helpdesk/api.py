"""Tickets API: open (multipart, with the screenshot), list, read, reply; re-point for agents."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from sqlalchemy import select

from lms.api.auth import api_login_required, api_role_required
from lms.api.blueprint import bp
from lms.api.openapi import document
from lms.cohorts.roster_models import RosterEntry
from lms.core.errors import Invalid, NotFound
from lms.core.time import now_utc
from lms.extensions import db
from lms.helpdesk import repoint, services
from lms.helpdesk.models import CATEGORIES, STATUSES, Ticket

_AUTH = {"401": {"$ref": "#/components/responses/Unauthenticated"}}
_ID = [{"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def ticket_json(ticket: Ticket, *, thread: bool = False, agent: bool = False, matches: list | None = None) -> dict:
    body = {"id": ticket.id, "category": ticket.category, "status": ticket.status, "full_name": ticket.full_name,
            "belajar_id_account": ticket.belajar_id_account, "satuan_pendidikan": ticket.satuan_pendidikan,
            "description": ticket.description, "created_at": ticket.created_at.isoformat(),
            "updated_at": ticket.updated_at.isoformat()}
    if agent:
        body["reporter"] = ticket.user.email
        body["roster"] = [{"entry_id": e.id, "cohort": c.code, "email": e.email}
                          for e, c in (services.roster_matches(ticket) if matches is None else matches)]
    if thread:
        body["messages"] = [{"id": m.id, "from_helpdesk": m.from_helpdesk, "body": m.body,
                             "created_at": m.created_at.isoformat()} for m in ticket.messages]
    return body


document("/tickets", "post", summary="Open a Pusat Bantuan ticket (multipart form with the screenshot)",
         tag="bantuan",
         request_body={"required": True, "content": {"multipart/form-data": {"schema": {
             "type": "object",
             "required": ["category", "full_name", "nik", "belajar_id_account", "satuan_pendidikan", "screenshot"],
             "properties": {"category": {"type": "string", "enum": list(CATEGORIES)}, "full_name": {"type": "string"},
                            "nik": {"type": "string"}, "belajar_id_account": {"type": "string"},
                            "satuan_pendidikan": {"type": "string"}, "description": {"type": "string"},
                            "screenshot": {"type": "string", "format": "binary"}}}}}},
         responses={"201": {"description": "The ticket"}, "422": {"description": "invalid: per-field errors"},
                    **_AUTH})


@bp.post("/tickets")
@api_login_required
def open_ticket():
    upload = request.files.get("screenshot")
    clean, shot = services.check_submission(request.form.to_dict(), upload.stream if upload and upload.filename
                                            else None, current_app.config["ALLOWED_EMAIL_DOMAINS"])
    ticket = services.open_ticket(g.api_user, clean, shot, folder=current_app.config["UPLOAD_FOLDER"], now=now_utc())
    db.session.commit()
    return jsonify(ticket_json(ticket, thread=True)), 201


document("/tickets", "get", summary="My tickets; agents: the queue (?all=1&status=&category=&q=&page=)",
         tag="bantuan", responses={"200": {"description": "tickets"}, **_AUTH})


@bp.get("/tickets")
@api_login_required
def list_tickets():
    user = g.api_user
    if request.args.get("all") and user.has_any_role("helpdesk"):
        status = request.args.get("status")
        category = request.args.get("category")
        if (status and status not in STATUSES) or (category and category not in CATEGORIES):
            raise Invalid(details={"status": ", ".join(STATUSES), "category": ", ".join(CATEGORIES)})
        tickets, total = services.queue(status=status, category=category, search=request.args.get("q", ""),
                                        page=max(request.args.get("page", 1, type=int), 1))
        matches = services.roster_matches_for(tickets)
        return jsonify({"tickets": [ticket_json(t, agent=True, matches=matches[t.nik_hash]) for t in tickets],
                        "total": total})
    tickets = db.session.scalars(select(Ticket).where(Ticket.user_id == user.id).order_by(Ticket.created_at.desc()))
    return jsonify({"tickets": [ticket_json(t) for t in tickets]})


document("/tickets/{ticket_id}", "get", summary="A ticket with its thread (owner or agent; others get 404)",
         tag="bantuan", parameters=_ID, responses={"200": {"description": "ticket"},
                                                   "404": {"description": "not_found"}, **_AUTH})


@bp.get("/tickets/<int:ticket_id>")
@api_login_required
def get_ticket(ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    return jsonify(ticket_json(ticket, thread=True, agent=g.api_user.has_any_role("helpdesk")))


document("/tickets/{ticket_id}/messages", "post", summary="Reply (agents may also set the status)", tag="bantuan",
         parameters=_ID,
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["body"], "properties": {
                 "body": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)}}}}}},
         responses={"201": {"description": "The ticket with its thread"}, "404": {"description": "not_found"},
                    "422": {"description": "invalid"}, **_AUTH})


@bp.post("/tickets/<int:ticket_id>/messages")
@api_login_required
def post_message(ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    body = request.get_json(silent=True) or {}
    agent = g.api_user.has_any_role("helpdesk")
    services.reply(ticket, g.api_user, str(body.get("body", "")), now=now_utc(),
                   status=body.get("status") if agent else None)
    db.session.commit()
    return jsonify(ticket_json(ticket, thread=True, agent=agent)), 201


_REPOINT_ERRORS = {"404": {"description": "not_found"}, "409": {"description": "account_in_roster, "
                                                             "account_enrolled, preview_outdated"},
                   "422": {"description": "invalid, confirmation_required"}, **_AUTH,
                   "403": {"$ref": "#/components/responses/Forbidden"}}

document("/tickets/{ticket_id}/repoint", "get", summary="Preview re-pointing the registered e-mail (agents): the "
         "enrollment, its progress and UKPPPG registration that would move, with the fingerprint to confirm",
         tag="bantuan", parameters=_ID + [
             {"name": "entry_id", "in": "query", "required": True, "schema": {"type": "integer"}},
             {"name": "email", "in": "query", "required": True, "schema": {"type": "string"}}],
         responses={"200": {"description": "The preview (nothing changes)"}, **_REPOINT_ERRORS})


@bp.get("/tickets/<int:ticket_id>/repoint")
@api_role_required("helpdesk")
def preview_repoint(ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    preview = repoint.preview_repoint(_entry(request.args.get("entry_id", type=int)), request.args.get("email", ""),
                                      ticket=ticket, allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
    return jsonify({"preview": preview.to_dict()})


document("/tickets/{ticket_id}/repoint", "post", summary="Re-point the registered e-mail (agents; audited): with "
         "dry_run, the preview; with confirm and the preview's fingerprint, the move (409 if anything changed)",
         tag="bantuan", parameters=_ID,
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["entry_id", "email"],
             "properties": {"entry_id": {"type": "integer"}, "email": {"type": "string"},
                            "dry_run": {"type": "boolean"}, "confirm": {"type": "boolean"},
                            "fingerprint": {"type": "string"}}}}}},
         responses={"200": {"description": "The preview (dry_run) or what moved"}, **_REPOINT_ERRORS})


@bp.post("/tickets/<int:ticket_id>/repoint")
@api_role_required("helpdesk")
def post_repoint(ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    body = request.get_json(silent=True) or {}
    entry_id = body.get("entry_id") if isinstance(body.get("entry_id"), int) else None
    domains = current_app.config["ALLOWED_EMAIL_DOMAINS"]
    if body.get("dry_run") is True:
        preview = repoint.preview_repoint(_entry(entry_id), str(body.get("email", "")), ticket=ticket,
                                          allowed_domains=domains)
        return jsonify({"preview": preview.to_dict()})
    fingerprint = body.get("fingerprint") if body.get("confirm") is True else None
    moved = repoint.repoint_email(_entry(entry_id).id, str(body.get("email", "")), ticket=ticket, agent=g.api_user,
                                  fingerprint=fingerprint if isinstance(fingerprint, str) else None, now=now_utc(),
                                  allowed_domains=domains)
    db.session.commit()
    return jsonify({"entry_id": moved.entry_id, "email": moved.new_email, "ticket_status": ticket.status,
                    "moved": moved.to_dict()})


def _entry(entry_id: int | None) -> RosterEntry:
    entry = db.session.get(RosterEntry, entry_id) if entry_id else None
    if entry is None:
        raise NotFound()
    return entry
