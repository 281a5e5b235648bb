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
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core import audit
from lms.core.errors import DomainError, Invalid, NotFound
from lms.core.nik import decrypt_nik, encrypt_nik, nik_hash, nik_problem, normalize_nik
from lms.extensions import db
from lms.helpdesk.models import CATEGORIES, STATUSES, Ticket, TicketMessage

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


def store_screenshot(shot: Screenshot, folder: str) -> str:
    target = Path(folder) / "tickets"
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{uuid.uuid4().hex}.{shot.extension}"
    path.write_bytes(shot.data)
    return str(path)


def validate_ticket(form: dict, allowed_domains) -> dict:
    errors, clean = {}, {}
    category = form.get("category", "")
    if category not in CATEGORIES:
        errors["category"] = str(_l("Pilih kategori kendala."))
    clean["category"] = category
    full_name = (form.get("full_name") or "").strip()
    if not full_name or len(full_name) > 200:
        errors["full_name"] = str(_l("Nama lengkap wajib diisi."))
    clean["full_name"] = full_name
    nik = normalize_nik(form.get("nik") or "")
    if problem := nik_problem(nik):
        errors["nik"] = problem
    clean["nik"] = nik
    account = (form.get("belajar_id_account") or "").strip().lower()
    if not email_allowed(account, allowed_domains):
        errors["belajar_id_account"] = str(_l("Tuliskan akun belajar.id (contoh: nama@guru.sd.belajar.id)."))
    clean["belajar_id_account"] = account
    school = (form.get("satuan_pendidikan") or "").strip()
    if not school or len(school) > 200:
        errors["satuan_pendidikan"] = str(_l("Satuan pendidikan wajib diisi."))
    clean["satuan_pendidikan"] = school
    description = (form.get("description") or "").strip()
    if len(description) > 5000:
        errors["description"] = str(_l("Uraian terlalu panjang (maksimal 5000 karakter)."))
    clean["description"] = description
    if errors:
        raise Invalid(_l("Periksa isian yang ditandai."), details=errors)
    return clean


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
    ticket = Ticket(user_id=user.id, category=clean["category"], status="baru", full_name=clean["full_name"],
                    nik_hash=nik_hash(clean["nik"]), nik_encrypted=encrypt_nik(clean["nik"]),
                    belajar_id_account=clean["belajar_id_account"], satuan_pendidikan=clean["satuan_pendidikan"],
                    description=clean["description"], screenshot_path=store_screenshot(shot, folder),
                    screenshot_type=shot.mimetype, created_at=now, updated_at=now)
    db.session.add(ticket)
    db.session.flush()
    audit.record("ticket.open", "ticket", ticket.id, actor_id=user.id, now=now, data={"category": ticket.category})
    return ticket


def ticket_for(user: User, ticket_id: int) -> Ticket:
    """A ticket its owner or a helpdesk agent may see; anyone else gets 404 (not even its existence)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not (ticket.user_id == user.id or user.has_any_role("helpdesk")):
        raise NotFound()
    return ticket


def reply(ticket: Ticket, author: User, body: str, *, now: datetime, status: str | None = None) -> TicketMessage:
    body = (body or "").strip()
    if not body:
        raise Invalid(details={"body": str(_l("Balasan tidak boleh kosong."))})
    if len(body) > 5000:
        raise Invalid(details={"body": str(_l("Balasan terlalu panjang (maksimal 5000 karakter)."))})
    agent = author.has_any_role("helpdesk") and author.id != ticket.user_id
    message = TicketMessage(ticket_id=ticket.id, author_id=author.id, from_helpdesk=agent, body=body, created_at=now)
    db.session.add(message)
    if agent:
        set_status(ticket, status or ("diproses" if ticket.status == "baru" else ticket.status), author, now=now)
    elif ticket.status == "selesai":
        ticket.status = "diproses"  # the teacher answered a closed ticket: it needs the helpdesk again
    ticket.updated_at = now
    db.session.flush()
    return message


def set_status(ticket: Ticket, status: str, agent: User, *, now: datetime) -> None:
    if status not in STATUSES:
        raise Invalid(details={"status": ", ".join(STATUSES)})
    if status != ticket.status:
        audit.record("ticket.status", "ticket", ticket.id, actor_id=agent.id, now=now,
                     data={"old": ticket.status, "new": status})
        ticket.status = status
        ticket.updated_at = now


def queue(*, status: str | None = None, category: str | None = None, search: str = "", page: int = 1,
          per_page: int = 50) -> tuple[list[Ticket], int]:
    conditions = []
    if status:
        conditions.append(Ticket.status == status)
    if category:
        conditions.append(Ticket.category == category)
    if search:
        term = f"%{search.strip().lower()}%"
        conditions.append(or_(func.lower(Ticket.full_name).like(term), Ticket.belajar_id_account.like(term),
                              User.email.like(term)))
    base = select(Ticket).join(User, User.id == Ticket.user_id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    tickets = db.session.scalars(base.options(contains_eager(Ticket.user))
                                 .order_by(Ticket.status != "baru", Ticket.created_at.desc())
                                 .limit(per_page).offset((page - 1) * per_page)).unique().all()
    return list(tickets), total


def roster_matches(ticket: Ticket) -> list[tuple[RosterEntry, Cohort]]:
    """The roster entries of the NIK the reporter typed, newest programme year first."""
    return list(db.session.execute(select(RosterEntry, Cohort).join(Cohort, Cohort.id == RosterEntry.cohort_id)
                                   .where(RosterEntry.nik_hash == ticket.nik_hash)
                                   .order_by(RosterEntry.programme_year.desc())).all())


def reveal_nik(ticket: Ticket, agent: User, *, now: datetime) -> str:
    """The NIK in clear, for an agent, with an entry in the audit log."""
    audit.record("nik.view", "ticket", ticket.id, actor_id=agent.id, now=now)
    return decrypt_nik(ticket.nik_encrypted) or "?"


class RepointConflict(DomainError):
    code = "conflict"
    status = 409
    message = _l("Akun tujuan sudah menjadi peserta angkatan lain pada tahun program yang sama.")


def repoint_email(entry: RosterEntry, new_email: str, *, ticket: Ticket, agent: User, now: datetime,
                  allowed_domains) -> RosterEntry:
    """Register the participant under another account: the roster entry, and the enrollment with its
    progress, move to ``new_email``. Audited with who, when, old -> new and the ticket."""
    new_email = (new_email or "").strip().lower()
    if not email_allowed(new_email, allowed_domains):
        raise Invalid(details={"email": str(_l("Akun baru harus akun belajar.id."))})
    if entry.nik_hash != ticket.nik_hash:
        raise NotFound()
    old_email = entry.email
    if new_email == old_email:
        return entry
    if db.session.scalar(select(RosterEntry.id).where(RosterEntry.programme_year == entry.programme_year,
                                                      RosterEntry.email == new_email)) is not None:
        raise RepointConflict()
    new_user = db.session.scalar(select(User).where(User.email == new_email))
    if new_user is None:
        new_user = User(email=new_email, name=entry.nama, created_at=now)
        db.session.add(new_user)
        db.session.flush()
    elif db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == new_user.id,
                                                       Enrollment.programme_year == entry.programme_year)):
        raise RepointConflict()
    old_user_id = db.session.scalar(select(User.id).where(User.email == old_email))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == old_user_id,
                                                            Enrollment.cohort_id == entry.cohort_id))
    if enrollment is not None:
        enrollment.user_id = new_user.id  # the progress goes with the participant
    entry.email, entry.updated_at = new_email, now
    audit.record("roster.repoint", "roster_entry", entry.id, actor_id=agent.id, now=now,
                 data={"old": old_email, "new": new_email, "ticket_id": ticket.id, "cohort_id": entry.cohort_id,
                       "enrollment_moved": enrollment is not None})
    reply(ticket, agent, str(_l("Akun terdaftar Anda telah diubah ke %(email)s. Silakan keluar dan masuk dengan akun "
                                "tersebut.", email=new_email)), now=now, status="selesai")
    db.session.flush()
    return entry
