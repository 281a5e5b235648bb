"""Pusat Bantuan: tickets with their five items and screenshot, replies, and re-pointing a registered e-mail."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from lms.auth.domains import email_allowed
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.cohorts.roster_models import RosterEntry
from lms.core import audit
from lms.core.db import LIKE_ESCAPE, contains_pattern
from lms.core.errors import Invalid, NotFound
from lms.core.nik import decrypt_nik, encrypt_nik, nik_hash, nik_problem, normalize_nik
from lms.core.paging import Keyset, KeysetPage
from lms.extensions import db
from lms.helpdesk.models import CATEGORIES, MAX_ACCOUNT, MAX_NAME, MAX_SCHOOL, MAX_TEXT, STATUSES, Ticket, TicketMessage
from lms.helpdesk.uploads import stage_file

MAX_SCREENSHOT_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
#: Larger images are refused (decompression bombs): far beyond any screenshot.
MAX_PIXELS = 40_000_000


@dataclass
class Screenshot:
    data: bytes
    mimetype: str
    extension: str


def check_screenshot(stream: BinaryIO | None) -> Screenshot:
    """A real PNG, JPEG or WebP image of at most 5 MB, judged by its content, never by its name."""
    if stream is None:
        raise Invalid(details={"screenshot": str(_l("Tangkapan layar undangan SIMPKB wajib dilampirkan."))})
    data = stream.read(MAX_SCREENSHOT_BYTES + 1)
    if not data:
        raise Invalid(details={"screenshot": str(_l("Tangkapan layar undangan SIMPKB wajib dilampirkan."))})
    if len(data) > MAX_SCREENSHOT_BYTES:
        raise Invalid(details={"screenshot": str(_l("Berkas terlalu besar: maksimal 5 MB."))})
    wrong = Invalid(details={"screenshot": str(_l("Berkas harus gambar PNG, JPEG, atau WebP."))})
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if kind not in IMAGE_TYPES or image.width * image.height > MAX_PIXELS:
                raise wrong
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decodes the pixels: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise wrong from exc
    mimetype, extension = IMAGE_TYPES[kind]
    return Screenshot(data, mimetype, extension)


def screenshot_path(shot: Screenshot, folder: str) -> Path:
    return Path(folder) / "tickets" / f"{uuid.uuid4().hex}.{shot.extension}"


def validate_ticket(form: dict, allowed_domains) -> dict:
    errors, clean = {}, {}
    category = form.get("category", "")
    if category not in CATEGORIES:
        errors["category"] = str(_l("Pilih kategori kendala."))
    clean["category"] = category
    full_name = (form.get("full_name") or "").strip()
    if not full_name:
        errors["full_name"] = str(_l("Nama lengkap wajib diisi."))
    elif len(full_name) > MAX_NAME:
        errors["full_name"] = _too_long(MAX_NAME)
    clean["full_name"] = full_name
    nik = normalize_nik(form.get("nik") or "")
    if problem := nik_problem(nik):
        errors["nik"] = problem
    clean["nik"] = nik
    account = (form.get("belajar_id_account") or "").strip().lower()
    if len(account) > MAX_ACCOUNT:
        errors["belajar_id_account"] = _too_long(MAX_ACCOUNT)
    elif not email_allowed(account, allowed_domains):
        errors["belajar_id_account"] = str(_l("Tuliskan akun belajar.id (contoh: nama@guru.sd.belajar.id)."))
    clean["belajar_id_account"] = account
    school = (form.get("satuan_pendidikan") or "").strip()
    if not school:
        errors["satuan_pendidikan"] = str(_l("Satuan pendidikan wajib diisi."))
    elif len(school) > MAX_SCHOOL:
        errors["satuan_pendidikan"] = _too_long(MAX_SCHOOL)
    clean["satuan_pendidikan"] = school
    description = (form.get("description") or "").strip()
    if len(description) > MAX_TEXT:
        errors["description"] = str(_l("Uraian terlalu panjang (maksimal 5000 karakter)."))
    clean["description"] = description
    if errors:
        raise Invalid(_l("Periksa isian yang ditandai."), details=errors)
    return clean


def _too_long(limit: int) -> str:
    return str(_l("Maksimal %(max)s karakter.", max=limit))


def check_submission(form: dict, screenshot: BinaryIO | None, allowed_domains) -> tuple[dict, Screenshot]:
    """The five items and the screenshot, every problem reported at once (the form and the API share this)."""
    errors: dict = {}
    clean, shot = {}, None
    try:
        clean = validate_ticket(form, allowed_domains)
    except Invalid as exc:
        errors.update(exc.details)
    try:
        shot = check_screenshot(screenshot)
    except Invalid as exc:
        errors.update(exc.details)
    if errors:
        raise Invalid(_l("Periksa isian yang ditandai."), details=errors)
    return clean, shot


def open_ticket(user: User, clean: dict, shot: Screenshot, *, folder: str, now: datetime) -> Ticket:
    """The ticket, flushed; its screenshot is written last and appears only when the caller commits (a failure
    anywhere before the commit, or a rollback, leaves no file)."""
    path = screenshot_path(shot, folder)
    ticket = Ticket(user_id=user.id, category=clean["category"], status="baru", full_name=clean["full_name"],
                    nik_hash=nik_hash(clean["nik"]), nik_encrypted=encrypt_nik(clean["nik"]),
                    belajar_id_account=clean["belajar_id_account"], satuan_pendidikan=clean["satuan_pendidikan"],
                    description=clean["description"], screenshot_path=str(path),
                    screenshot_type=shot.mimetype, created_at=now, updated_at=now)
    db.session.add(ticket)
    db.session.flush()
    audit.record("ticket.open", "ticket", ticket.id, actor_id=user.id, now=now, data={"category": ticket.category})
    stage_file(path, shot.data)
    return ticket


def ticket_for(user: User, ticket_id: int) -> Ticket:
    """A ticket its owner or a helpdesk agent may see; anyone else gets 404 (not even its existence)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not (ticket.user_id == user.id or user.has_any_role("helpdesk")):
        raise NotFound()
    return ticket


def reply(ticket: Ticket, author: User, body: str, *, now: datetime, status: str | None = None) -> TicketMessage:
    body = (body or "").strip()
    agent = author.has_any_role("helpdesk") and author.id != ticket.user_id
    if agent and status is not None and status not in STATUSES:
        raise _unknown_status()  # before anything is added
    if not body:
        raise Invalid(details={"body": str(_l("Balasan tidak boleh kosong."))})
    if len(body) > 5000:
        raise Invalid(details={"body": str(_l("Balasan terlalu panjang (maksimal 5000 karakter)."))})
    message = TicketMessage(ticket_id=ticket.id, author_id=author.id, from_helpdesk=agent, body=body, created_at=now)
    db.session.add(message)
    if agent:
        set_status(ticket, status or ("diproses" if ticket.status == "baru" else ticket.status), author, now=now)
    elif ticket.status == "selesai":
        ticket.status = "diproses"  # the teacher answered a closed ticket: it needs the helpdesk again
    ticket.updated_at = now
    db.session.flush()
    return message


def _unknown_status() -> Invalid:
    return Invalid(details={"status": str(_l("Harus salah satu dari: %(choices)s.", choices=", ".join(STATUSES)))})


def set_status(ticket: Ticket, status: str, agent: User, *, now: datetime) -> None:
    if status not in STATUSES:
        raise _unknown_status()
    if status != ticket.status:
        audit.record("ticket.status", "ticket", ticket.id, actor_id=agent.id, now=now,
                     data={"old": ticket.status, "new": status})
        ticket.status = status
        ticket.updated_at = now


#: The queue's order: new tickets first, then the latest first; the id breaks ties.
QUEUE_ORDER = Keyset(Ticket.status == "baru", Ticket.created_at, Ticket.id, types=(bool, datetime, int),
                     descending=True)


def queue(*, status: str | None = None, category: str | None = None, search: str = "", page: int = 1,
          per_page: int = 50, after: str | None = None, before: str | None = None) -> KeysetPage:
    """One page of the agents' queue, with the total of the filter. ``after``/``before``: a neighbouring page's
    cursor (found by key); without one, ``page`` is read by OFFSET (links made before cursors)."""
    conditions = []
    if status:
        conditions.append(Ticket.status == status)
    if category:
        conditions.append(Ticket.category == category)
    if search:
        term = contains_pattern(search.strip().lower())
        conditions.append(or_(func.lower(Ticket.full_name).like(term, escape=LIKE_ESCAPE),
                              Ticket.belajar_id_account.like(term, escape=LIKE_ESCAPE),
                              User.email.like(term, escape=LIKE_ESCAPE)))
    base = select(Ticket).join(User, User.id == Ticket.user_id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    query = QUEUE_ORDER.select(base.options(contains_eager(Ticket.user)), page=page, per_page=per_page,
                               after=after, before=before)
    tickets = db.session.scalars(query).unique().all()
    return QUEUE_ORDER.page(tickets, page=page, per_page=per_page, total=total, after=after, before=before,
                            key=lambda t: [t.status == "baru", t.created_at, t.id])


def roster_matches(ticket: Ticket) -> list[tuple[RosterEntry, Cohort]]:
    """The roster entries of the NIK the reporter typed, newest programme year first."""
    return roster_matches_for([ticket]).get(ticket.nik_hash, [])


def roster_matches_for(tickets: list[Ticket]) -> dict[str, list[tuple[RosterEntry, Cohort]]]:
    """The roster entries of every ticket's NIK, by NIK hash, in one statement (for the agents' list)."""
    hashes = {t.nik_hash for t in tickets}
    found: dict[str, list[tuple[RosterEntry, Cohort]]] = {h: [] for h in hashes}
    if not hashes:
        return found
    for entry, cohort in db.session.execute(
            select(RosterEntry, Cohort).join(Cohort, Cohort.id == RosterEntry.cohort_id)
            .where(RosterEntry.nik_hash.in_(hashes))
            .order_by(RosterEntry.programme_year.desc(), RosterEntry.id)):
        found[entry.nik_hash].append((entry, cohort))
    return found


def reveal_nik(ticket: Ticket, agent: User, *, now: datetime) -> str:
    """The NIK in clear, for an agent, with an entry in the audit log."""
    audit.record("nik.view", "ticket", ticket.id, actor_id=agent.id, now=now)
    return nik_of(ticket)


def nik_of(ticket: Ticket) -> str:
    """The ticket's NIK in clear; only for a view ``reveal_nik`` has recorded."""
    return decrypt_nik(ticket.nik_encrypted) or "?"
