"""Tickets API: open (multipart, with the screenshot), list, read, reply; re-point for agents (declared operations)."""

from __future__ import annotations

from flask import current_app, g, url_for
from marshmallow import RAISE
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict

from lms.api.auth import api_login_required, api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import KEYSET_PAGING, Error, errors
from lms.api.validation import ApiParser
from lms.cohorts.roster_models import RosterEntry
from lms.core.errors import NotFound
from lms.core.time import now_utc
from lms.extensions import db
from lms.helpdesk import notices, repoint, schemas, services
from lms.helpdesk.models import Ticket


class MultipartParser(ApiParser):
    """The API's parser with one more location: a multipart body's text fields and files in one schema (webargs
    reads them as two locations, and flask-smorest documents one request body per operation)."""

    __location_map__ = {**ApiParser.__location_map__, "multipart": "load_multipart"}
    DEFAULT_UNKNOWN_BY_LOCATION = {**ApiParser.DEFAULT_UNKNOWN_BY_LOCATION, "multipart": RAISE}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


multipart = MultipartParser()


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


@bp.post("/tickets")
@bp.doc(tags=["bantuan"], summary="Open a Pusat Bantuan ticket (multipart form with the screenshot)",
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": schemas.TicketForm}}})
@api_login_required
@multipart.use_args(schemas.TicketForm, location="multipart")
@bp.response(201, schemas.Ticket)
@errors(bp, 401, 413)
@bp.alt_response(422, schema=Error, description="invalid: per-field errors, all of them at once (errors: {field: "
                 "message}); a screenshot that is not a PNG, JPEG or WebP image of at most 5 MB")
def open_ticket(form: dict):
    upload = form.pop("screenshot")
    clean, shot = services.check_submission(form, upload.stream if upload and upload.filename else None,
                                            current_app.config["ALLOWED_EMAIL_DOMAINS"])
    ticket = services.open_ticket(g.api_user, clean, shot, folder=current_app.config["UPLOAD_FOLDER"], now=now_utc())
    return ticket_json(ticket, thread=True)


@bp.get("/tickets")
@bp.doc(tags=["bantuan"], summary="My tickets; agents with all=1: the queue (status, category, q)",
        description="The agents' queue is keyset-paged. " + KEYSET_PAGING)
@api_login_required
@bp.arguments(schemas.TicketQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.TicketList)
@errors(bp, 401)
def list_tickets(all: bool, q: str, page: int, status: str | None = None,  # noqa: A002 - the query's name
                 category: str | None = None, after: str | None = None):
    user = g.api_user
    if all and user.has_any_role("helpdesk"):
        result = services.queue(status=status, category=category, search=q, page=page, after=after)
        matches = services.roster_matches_for(result.rows)
        following = (url_for("api.list_tickets", all=1, status=status, category=category, q=q or None,
                             page=result.page + 1, after=result.next_cursor) if result.next_cursor else None)
        return {"tickets": [ticket_json(t, agent=True, matches=matches[t.nik_hash]) for t in result.rows],
                "total": result.total, "page": result.page, "next_cursor": result.next_cursor, "next": following}
    tickets = db.session.scalars(select(Ticket).where(Ticket.user_id == user.id).order_by(Ticket.created_at.desc()))
    return {"tickets": [ticket_json(t) for t in tickets]}


@bp.get("/tickets/<int:ticket_id>")
@bp.doc(tags=["bantuan"], summary="A ticket with its thread (owner or agent; others get 404)")
@api_login_required
@bp.response(200, schemas.Ticket)
@errors(bp, 401, 404)
def get_ticket(ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    return ticket_json(ticket, thread=True, agent=g.api_user.has_any_role("helpdesk"))


@bp.post("/tickets/<int:ticket_id>/messages")
@bp.doc(tags=["bantuan"], summary="Reply (agents may also set the status)")
@api_login_required
@bp.arguments(schemas.TicketReply)
@bp.response(201, schemas.Ticket)
@errors(bp, 401, 404)
def post_message(body: dict, ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    agent = g.api_user.has_any_role("helpdesk")
    message = services.reply(ticket, g.api_user, body["body"], now=now_utc(),
                             status=body.get("status") if agent else None)
    if message.from_helpdesk:
        notices.notify_reply(ticket, now=message.created_at,
                             ticket_url=url_for("helpdesk.ticket", ticket_id=ticket.id, _external=True))
    return ticket_json(ticket, thread=True, agent=agent)


_REPOINT_409 = "account_in_roster / account_enrolled / preview_outdated (anything changed since the preview)"
_REPOINT_422 = "invalid (errors.email: not a belajar.id account, or the same account) / confirmation_required"


@bp.get("/tickets/<int:ticket_id>/repoint")
@bp.doc(tags=["bantuan"], summary="Preview re-pointing the registered e-mail (agents): the enrollment, its progress "
        "and UKPPPG registration that would move, with the fingerprint to confirm; nothing changes")
@api_role_required("helpdesk")
@bp.arguments(schemas.RepointQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.RepointPreviewOut)
@errors(bp, 401, 403, 404)
@bp.alt_response(409, schema=Error, description=_REPOINT_409)
@bp.alt_response(422, schema=Error, description=_REPOINT_422)
def preview_repoint(ticket_id: int, entry_id: int, email: str):
    ticket = services.ticket_for(g.api_user, ticket_id)
    preview = repoint.preview_repoint(_entry(entry_id), email, ticket=ticket,
                                      allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
    return {"preview": preview.to_dict()}


@bp.post("/tickets/<int:ticket_id>/repoint")
@bp.doc(tags=["bantuan"], summary="Re-point the registered e-mail (agents; audited): with dry_run, the preview; with "
        "confirm and the preview's fingerprint, the move (409 if anything changed)")
@api_role_required("helpdesk")
@bp.arguments(schemas.RepointIn)
@bp.response(200, schemas.RepointAnswer)
@errors(bp, 401, 403, 404)
@bp.alt_response(409, schema=Error, description=_REPOINT_409)
@bp.alt_response(422, schema=Error, description=_REPOINT_422)
def post_repoint(body: dict, ticket_id: int):
    ticket = services.ticket_for(g.api_user, ticket_id)
    domains = current_app.config["ALLOWED_EMAIL_DOMAINS"]
    if body["dry_run"]:
        preview = repoint.preview_repoint(_entry(body["entry_id"]), body["email"], ticket=ticket,
                                          allowed_domains=domains)
        return {"preview": preview.to_dict()}
    moved = repoint.repoint_email(_entry(body["entry_id"]).id, body["email"], ticket=ticket, agent=g.api_user,
                                  fingerprint=body["fingerprint"] if body["confirm"] else None, now=now_utc(),
                                  allowed_domains=domains)
    return {"entry_id": moved.entry_id, "email": moved.new_email, "ticket_status": ticket.status,
            "moved": moved.to_dict()}


def _entry(entry_id: int) -> RosterEntry:
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None:
        raise NotFound()
    return entry
