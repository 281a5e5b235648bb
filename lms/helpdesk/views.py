"""Pusat Bantuan pages: a teacher's tickets and threads; the agents' queue, replies and re-point action."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import stash
from lms.auth.sessions import revoke_all_sessions
from lms.cohorts.roster_models import RosterEntry
from lms.core.access import login_required, role_required
from lms.core.errors import DomainError, Invalid
from lms.core.input import MAX_ID
from lms.core.time import now_utc
from lms.extensions import db
from lms.helpdesk import notices, repoint, services
from lms.helpdesk.models import CATEGORIES, MAX_ACCOUNT, STATUSES, Ticket

bp = Blueprint("helpdesk", __name__, url_prefix="/bantuan")

#: A revealed NIK is shown by the page the reveal redirects to (POST-redirect-GET) for this long, to the agent who
#: revealed it: a reload within it shows the same view again, once audited; the NIK itself is never kept.
REVEAL_KEY, REVEAL_SECONDS = "nik_reveal", 120
#: Queue pages beyond this are empty anyway (50 tickets a page).
MAX_PAGE = 100_000
#: A refused form's fields are kept for the page after the redirect up to this many characters each.
MAX_KEPT = 10_000
#: The stash scope of the new-ticket form.
NEW_TICKET = "helpdesk-new"


def _labels():
    return {"categories": {"tidak_terdaftar": _("Tidak terdaftar"), "akun_tidak_dikenal": _("Akun tidak dikenal"),
                           "akun_lama": _("Akun lama / tidak sesuai"), "lainnya": _("Lainnya")},
            "statuses": {"baru": _("Baru"), "diproses": _("Diproses"), "selesai": _("Selesai")}}


@bp.get("/")
@login_required
def my_tickets():
    tickets = db.session.scalars(select(Ticket).where(Ticket.user_id == current_user.id)
                                 .order_by(Ticket.created_at.desc())).all()
    return render_template("helpdesk/my_tickets.html", tickets=tickets, **_labels())


@bp.route("/baru", methods=["GET", "POST"])
@login_required
def new_ticket():
    if request.method == "GET":
        kept = stash.get(NEW_TICKET, now=now_utc())
        if kept:  # a refused post redirected here: what was typed, with the reasons
            return render_template("helpdesk/new.html", values=kept["values"], errors=kept["errors"], **_labels())
        values = {"category": request.args.get("kategori", ""), "belajar_id_account": current_user.email,
                  "full_name": current_user.name}
        return render_template("helpdesk/new.html", values=values, errors={}, **_labels())
    values = {key: value[:MAX_KEPT] for key, value in request.form.items() if key != "csrf_token"}
    upload = request.files.get("screenshot")
    try:
        clean, shot = services.check_submission(values, upload.stream if upload and upload.filename else None,
                                                current_app.config["ALLOWED_EMAIL_DOMAINS"])
    except Invalid as exc:
        # Everything typed stays in the form (POST-redirect-GET through the stash); only the file must be chosen
        # again (browsers cannot refill it).
        return stash.refuse(NEW_TICKET, {"values": values, "errors": exc.details}, url_for("helpdesk.new_ticket"),
                            now=now_utc())
    stash.drop(NEW_TICKET)
    ticket = services.open_ticket(current_user, clean, shot, folder=current_app.config["UPLOAD_FOLDER"],
                                  now=now_utc())
    flash(_("Tiket #%(id)s terkirim. Tim Pusat Bantuan akan membalas di halaman ini.", id=ticket.id), "success")
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket.id))


@bp.get("/<int:ticket_id>")
@login_required
def ticket(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    kept = stash.get(_reply_scope(ticket_id), now=now_utc())
    nik = services.nik_of(ticket) if request.args.get("nik") and _revealed(ticket) else None
    if kept:  # a refused reply redirected here: its text, with the reasons
        return _render_ticket(ticket, errors=kept["errors"], reply_body=kept["body"], nik=nik)
    return _render_ticket(ticket, nik=nik)


def _revealed(ticket: Ticket) -> bool:
    """This agent revealed this ticket's NIK within ``REVEAL_SECONDS`` (its ``nik.view`` is in the audit log)."""
    grant = session.get(REVEAL_KEY)
    return (current_user.has_any_role("helpdesk") and isinstance(grant, dict) and grant.get("ticket") == ticket.id
            and grant.get("agent") == current_user.id and now_utc().timestamp() < float(grant.get("until", 0)))


def _reply_scope(ticket_id: int) -> str:
    return f"helpdesk-reply:{ticket_id}"


def _render_ticket(ticket: Ticket, *, status: int = 200, errors: dict | None = None, nik: str | None = None,
                   reply_body: str = ""):
    agent = current_user.has_any_role("helpdesk")
    matches = services.roster_matches(ticket) if agent else []
    return render_template("helpdesk/ticket.html", ticket=ticket, agent=agent, matches=matches, errors=errors or {},
                           revealed_nik=nik, reply_body=reply_body, **_labels()), status


@bp.post("/<int:ticket_id>/balas")
@login_required
def reply(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    try:
        message = services.reply(ticket, current_user, request.form.get("body", ""), now=now_utc(),
                                 status=request.form.get("status") if current_user.has_any_role("helpdesk") else None)
    except Invalid as exc:
        return stash.refuse(_reply_scope(ticket_id), {"body": request.form.get("body", "")[:MAX_KEPT],
                                                      "errors": exc.details},
                            url_for("helpdesk.ticket", ticket_id=ticket_id), now=now_utc())
    stash.drop(_reply_scope(ticket_id))
    if message.from_helpdesk:
        notices.notify_reply(ticket, now=message.created_at,
                             ticket_url=url_for("helpdesk.ticket", ticket_id=ticket_id, _external=True))
        flash(_("Balasan terkirim. Pelapor diberi tahu lewat e-mail."), "success")
    else:
        flash(_("Balasan terkirim."), "success")
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id))


@bp.get("/<int:ticket_id>/tangkapan-layar")
@login_required
def screenshot(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    response = send_file(ticket.screenshot_path, mimetype=ticket.screenshot_type, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/antrian")
@role_required("helpdesk")
def queue():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    category = request.args.get("kategori") if request.args.get("kategori") in CATEGORIES else None
    search = (request.args.get("q") or "").strip()[:MAX_ACCOUNT]
    page = min(_id(request.args.get("page")) or 1, MAX_PAGE)
    cursors = {key: request.args[key] for key in ("after", "before") if key in request.args}
    result = services.queue(status=status, category=category, search=search, page=page, **cursors)
    return render_template("helpdesk/queue.html", tickets=result.rows, total=result.total, page=result,
                           status=status, category=category, search=search, **_labels())


@bp.post("/<int:ticket_id>/nik")
@role_required("helpdesk")
def reveal_nik(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    now = now_utc()
    services.reveal_nik(ticket, current_user, now=now)
    session[REVEAL_KEY] = {"ticket": ticket.id, "agent": current_user.id, "until": now.timestamp() + REVEAL_SECONDS}
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket.id, nik=1), 303)


@bp.get("/<int:ticket_id>/alihkan")
@role_required("helpdesk")
def repoint_preview(ticket_id: int):
    """What re-pointing would move; nothing changes until the agent confirms on this page."""
    ticket = services.ticket_for(current_user, ticket_id)
    entry = _entry(request.args.get("entry_id"))
    try:
        preview = repoint.preview_repoint(entry, request.args.get("email", ""), ticket=ticket,
                                          allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
    except DomainError as exc:
        return _repoint_refused(ticket, exc)
    return render_template("helpdesk/repoint_preview.html", ticket=ticket, preview=preview, error=None)


@bp.post("/<int:ticket_id>/alihkan")
@role_required("helpdesk")
def repoint_confirm(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    entry = _entry(request.form.get("entry_id"))
    email = request.form.get("email", "")
    domains = current_app.config["ALLOWED_EMAIL_DOMAINS"]
    try:
        repoint.repoint_email(entry.id, email, ticket=ticket, agent=current_user, now=now_utc(),
                              fingerprint=request.form.get("fingerprint") if request.form.get("confirm") else None,
                              allowed_domains=domains)
    except repoint.PreviewOutdated as exc:
        # The move's savepoint is rolled back already; the boundary rolls back the rest after this 409 page.
        try:  # show what the state is now, to be confirmed again
            fresh = repoint.preview_repoint(db.session.get(RosterEntry, entry.id), email, ticket=ticket,
                                            allowed_domains=domains)
        except DomainError as refusal:
            return _repoint_refused(ticket, refusal)
        return render_template("helpdesk/repoint_preview.html", ticket=ticket, preview=fresh,
                               error=str(exc.message)), exc.status
    except DomainError as exc:
        return _repoint_refused(ticket, exc)
    flash(_("Akun terdaftar diubah dan dicatat. Kedua akun menerima pemberitahuan."), "success")
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id))


def _id(raw: str | None) -> int | None:
    """A form or query id within the column's range, else None (``"99999999999"`` is no row, not an error)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 1 <= value <= MAX_ID else None


def _entry(raw: str | None) -> RosterEntry:
    entry_id = _id(raw)
    entry = db.session.get(RosterEntry, entry_id) if entry_id else None
    if entry is None:
        abort(404)
    return entry


def _repoint_refused(ticket: Ticket, exc: DomainError):
    reason = exc.details.get("email") or exc.message
    return _render_ticket(ticket, status=exc.status, errors={"repoint": str(reason)})


@bp.post("/<int:ticket_id>/akhiri-sesi")
@role_required("helpdesk")
def revoke_sessions(ticket_id: int):
    """End every browser session of the reporter's account (e.g. left logged in on a shared computer)."""
    ticket = services.ticket_for(current_user, ticket_id)
    count = revoke_all_sessions(ticket.user, now=now_utc(), actor=current_user,
                                context={"reason": "helpdesk", "ticket_id": ticket.id})
    flash(_("Semua sesi masuk akun pelapor diakhiri (%(n)s sesi).", n=count), "success")
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id))
