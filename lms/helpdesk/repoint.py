"""Re-pointing a participant's registered e-mail: first a preview of what moves, then a confirmed, atomic move.

The preview lists the enrollment, its progress and any UKPPPG registration, with a fingerprint of that state.
The move is accepted only with that fingerprint, recomputed under row locks: anything that changed since the
preview (progress, registration, the entry, the target account) refuses it with 409. The rows then move with
conditional UPDATEs, so that of two agents moving the same participant at once exactly one succeeds. The same
action moves a participant back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.auth.domains import email_allowed
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core import audit
from lms.core.errors import DomainError, Invalid, NotFound
from lms.extensions import db
from lms.helpdesk.models import MAX_ACCOUNT, Ticket
from lms.helpdesk.notices import notify_moved
from lms.helpdesk.services import reply
from lms.modules.progress import compute_progress
from lms.ukppg.models import ExamSession, ExamSite, Registration


class AccountInRoster(DomainError):
    code = "account_in_roster"
    status = 409
    message = _l("Akun tujuan sudah terdaftar untuk peserta lain pada tahun program yang sama. "
                 "Periksa kembali akun tujuan.")


class AccountEnrolled(DomainError):
    code = "account_enrolled"
    status = 409
    message = _l("Akun tujuan sudah menjadi peserta angkatan pada tahun program yang sama. Pengalihan ditolak "
                 "agar data dua peserta tidak tercampur.")


class PreviewOutdated(DomainError):
    code = "preview_outdated"
    status = 409
    message = _l("Data peserta berubah sejak pratinjau ditampilkan. Periksa pratinjau terbaru, lalu konfirmasi lagi.")


class ConfirmationRequired(DomainError):
    code = "confirmation_required"
    status = 422
    message = _l("Tampilkan pratinjau pengalihan terlebih dahulu, lalu konfirmasi pengalihan tersebut.")


@dataclass
class ExamSeat:
    number: str | None
    session_id: int
    site: str
    date: str
    start: str


@dataclass
class RepointPreview:
    entry_id: int
    cohort: str
    cohort_name: str
    programme_year: int
    old_email: str
    new_email: str
    #: Whether the target account exists already (otherwise it is created, linked on its owner's first login).
    new_account_exists: bool
    enrollment_id: int | None
    status: str | None
    percent: int
    parts_done: int
    parts_total: int
    complete: bool
    registration: ExamSeat | None
    fingerprint: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _target_email(new_email: str, entry: RosterEntry, allowed_domains) -> str:
    new_email = (new_email or "").strip().lower()
    if len(new_email) > MAX_ACCOUNT or not email_allowed(new_email, allowed_domains):
        raise Invalid(details={"email": str(_l("Akun baru harus akun belajar.id."))})
    if new_email == entry.email:
        raise Invalid(details={"email": str(_l("Akun tujuan sama dengan akun terdaftar saat ini."))})
    return new_email


def _target_account(entry: RosterEntry, new_email: str) -> User | None:
    """The account ``new_email`` names, if it may receive this participant; refused when it is taken that year."""
    if db.session.scalar(select(RosterEntry.id).where(RosterEntry.programme_year == entry.programme_year,
                                                      RosterEntry.email == new_email,
                                                      RosterEntry.id != entry.id)) is not None:
        raise AccountInRoster()
    user = db.session.scalar(select(User).where(User.email == new_email))
    if user is not None and db.session.scalar(select(Enrollment.id).where(
            Enrollment.user_id == user.id, Enrollment.programme_year == entry.programme_year)) is not None:
        raise AccountEnrolled()
    return user


def _enrollment(entry: RosterEntry, *, lock: bool) -> Enrollment | None:
    query = (select(Enrollment).join(User, User.id == Enrollment.user_id)
             .where(User.email == entry.email, Enrollment.cohort_id == entry.cohort_id)
             .execution_options(populate_existing=True))
    return db.session.scalar(query.with_for_update(of=Enrollment) if lock else query)


def _exam_seat(enrollment: Enrollment | None) -> tuple[ExamSeat | None, int | None]:
    if enrollment is None:
        return None, None
    row = db.session.execute(
        select(Registration.id, Registration.number, Registration.session_id, ExamSite.name, ExamSession.date,
               ExamSession.start)
        .join(ExamSession, ExamSession.id == Registration.session_id).join(ExamSite, ExamSite.id == ExamSession.site_id)
        .where(Registration.enrollment_id == enrollment.id, Registration.cancelled_at.is_(None))).first()
    if row is None:
        return None, None
    reg_id, number, session_id, site, day, start = row
    return ExamSeat(number, session_id, site, day.isoformat(), start.strftime("%H:%M")), reg_id


def preview_repoint(entry: RosterEntry, new_email: str, *, ticket: Ticket, allowed_domains,
                    lock: bool = False) -> RepointPreview:
    """What re-pointing ``entry`` to ``new_email`` would move; refusals are raised here already."""
    if entry.nik_hash != ticket.nik_hash:
        raise NotFound()
    new_email = _target_email(new_email, entry, allowed_domains)
    target = _target_account(entry, new_email)
    enrollment = _enrollment(entry, lock=lock)
    cohort = db.session.get(Cohort, entry.cohort_id)
    seat, registration_id = _exam_seat(enrollment)
    progress = compute_progress(enrollment) if enrollment is not None else None
    preview = RepointPreview(
        entry_id=entry.id, cohort=cohort.code, cohort_name=cohort.name, programme_year=entry.programme_year,
        old_email=entry.email, new_email=new_email, new_account_exists=target is not None,
        enrollment_id=enrollment.id if enrollment else None, status=enrollment.status if enrollment else None,
        percent=progress.percent if progress else 0, parts_done=progress.parts_done if progress else 0,
        parts_total=progress.parts_total if progress else 0, complete=bool(progress and progress.complete),
        registration=seat)
    state = {"preview": preview.to_dict(), "target_user": target.id if target else None,
             "enrollment": [enrollment.id, enrollment.user_id, enrollment.status,
                            enrollment.completed_at.isoformat() if enrollment.completed_at else None]
             if enrollment else None, "registration_id": registration_id, "entry_updated": entry.updated_at.isoformat()}
    preview.fingerprint = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]
    return preview


def repoint_email(entry_id: int, new_email: str, *, fingerprint: str | None, ticket: Ticket, agent: User,
                  now: datetime, allowed_domains) -> RepointPreview:
    """Move the roster entry, and the enrollment with its progress and registration, to ``new_email``.

    Only with the fingerprint of a preview of the same state. Audited; both accounts get a message."""
    if not fingerprint:
        raise ConfirmationRequired()
    entry = db.session.scalar(select(RosterEntry).where(RosterEntry.id == entry_id).with_for_update()
                              .execution_options(populate_existing=True))
    if entry is None or entry.nik_hash != ticket.nik_hash:
        raise NotFound()
    if (new_email or "").strip().lower() == entry.email:
        raise PreviewOutdated()  # the entry moved there since the preview (another agent, same target)
    preview = preview_repoint(entry, new_email, ticket=ticket, allowed_domains=allowed_domains, lock=True)
    if not hmac.compare_digest(preview.fingerprint, str(fingerprint)):
        raise PreviewOutdated()
    old_user_id = db.session.scalar(select(User.id).where(User.email == preview.old_email))
    try:
        with db.session.begin_nested():
            new_user = _account_for(preview, entry, now=now)
            _move(preview, old_user_id, new_user.id, now=now)
    except IntegrityError as exc:
        # A concurrent move took the target account or the entry first (unique per programme year).
        raise PreviewOutdated() from exc
    audit.record("roster.repoint", "roster_entry", entry.id, actor_id=agent.id, now=now,
                 data={"old": preview.old_email, "new": preview.new_email, "ticket_id": ticket.id,
                       "cohort_id": entry.cohort_id, "enrollment_id": preview.enrollment_id,
                       "enrollment_moved": preview.enrollment_id is not None, "old_user_id": old_user_id,
                       "new_user_id": new_user.id, "percent": preview.percent,
                       "registration": preview.registration.number if preview.registration else None})
    notify_moved(preview, ticket_id=ticket.id, now=now)
    reply(ticket, agent, str(_l("Akun terdaftar Anda telah diubah ke %(email)s. Silakan keluar dan masuk dengan akun "
                                "tersebut.", email=preview.new_email)), now=now, status="selesai")
    db.session.flush()
    return preview


def _account_for(preview: RepointPreview, entry: RosterEntry, *, now: datetime) -> User:
    user = db.session.scalar(select(User).where(User.email == preview.new_email))
    if user is None:
        user = User(email=preview.new_email, name=entry.nama, created_at=now)
        db.session.add(user)
        db.session.flush()
    return user


def _move(preview: RepointPreview, old_user_id: int | None, new_user_id: int, *, now: datetime) -> None:
    """Conditional UPDATEs: each acts only on the state the preview showed, else nothing moves."""
    moved = db.session.execute(
        update(RosterEntry).where(RosterEntry.id == preview.entry_id, RosterEntry.email == preview.old_email)
        .values(email=preview.new_email, updated_at=now)).rowcount
    if moved != 1:
        raise PreviewOutdated()
    if preview.enrollment_id is not None:
        moved = db.session.execute(
            update(Enrollment).where(Enrollment.id == preview.enrollment_id, Enrollment.user_id == old_user_id)
            .values(user_id=new_user_id)).rowcount
        if moved != 1:
            raise PreviewOutdated()
