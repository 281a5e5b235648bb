"""Cek NIK: is this NIK in a roster, and with which account? Answers reveal no more than a masked e-mail.

Registered and unregistered NIKs get the same response shape and status (only the message and the masked
e-mail differ), every lookup is logged without the NIK in clear, and a roster that names the asker's own
account links it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.access.models import NikLookup
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.cohorts.services import initial_status
from lms.core.db import dialect_insert
from lms.core.errors import Invalid
from lms.core.events import emit
from lms.core.nik import nik_hash, nik_problem, normalize_nik
from lms.extensions import db

NOT_REGISTERED = _l("Maaf, Anda tidak terdaftar di Sertifikasi Pendidik kali ini")
REGISTERED = _l("Anda sudah bisa akses Sertifikasi Pendidik dengan email ini")
BELAJAR_ID_RESET_PAGE = "https://belajar.id/"


def mask_email(email: str) -> str:
    """``gu****tu@guru.sd.belajar.id``: always four stars, so the length of the name is not revealed either."""
    local, _, domain = email.partition("@")
    if len(local) >= 6:
        shown = local[:2] + "****" + local[-2:]
    elif len(local) >= 3:
        shown = local[:1] + "****" + local[-1:]
    elif len(local) == 2:
        shown = local[:1] + "****"
    else:
        shown = "****"
    return f"{shown}@{domain}"


@dataclass
class NikCheck:
    registered: bool
    email_masked: str | None
    #: True when the roster names the asker's own account (now linked to its cohort).
    own_account: bool

    @property
    def message(self) -> str:
        return str(REGISTERED if self.registered else NOT_REGISTERED)


def latest_entry(hashed: str) -> RosterEntry | None:
    return db.session.scalar(select(RosterEntry).join(Cohort, Cohort.id == RosterEntry.cohort_id)
                             .where(RosterEntry.nik_hash == hashed)
                             .order_by(RosterEntry.programme_year.desc(), Cohort.learning_opens_at.desc()).limit(1))


def check_nik(user: User, raw_nik: str, *, ip: str, now: datetime) -> NikCheck:
    nik = normalize_nik(raw_nik or "")
    problem = nik_problem(nik)
    if problem:
        db.session.add(NikLookup(user_id=user.id, at=now, ip=ip, result="invalid", nik_hash=None))
        raise Invalid(problem, details={"nik": problem})
    hashed = nik_hash(nik)
    entry = latest_entry(hashed)
    own = entry is not None and entry.email == user.email
    if own:
        link_entry(entry, now=now)
    result = "linked" if own else ("registered" if entry else "not_registered")
    db.session.add(NikLookup(user_id=user.id, at=now, ip=ip, result=result, nik_hash=hashed))
    db.session.flush()
    return NikCheck(entry is not None, mask_email(entry.email) if entry else None, own)


def link_entry(entry: RosterEntry, *, now: datetime) -> Enrollment:
    """Make sure the account a roster entry names is enrolled in its cohort (creating the account if needed).

    Two requests may link the same entry at once (a double tap on Cek NIK): both inserts are ``ON CONFLICT DO
    NOTHING`` on the unique keys, so the second one finds the first one's rows instead of failing, and only the
    request whose insert made the enrollment announces it."""
    insert = dialect_insert(db.session)
    db.session.execute(insert(User).values(email=entry.email, name=entry.nama, created_at=now)
                       .on_conflict_do_nothing(index_elements=["email"]))
    user_id = db.session.scalar(select(User.id).where(User.email == entry.email))
    cohort = db.session.get(Cohort, entry.cohort_id)
    created = db.session.scalar(insert(Enrollment).values(
        user_id=user_id, cohort_id=entry.cohort_id, programme_year=entry.programme_year,
        status=initial_status(cohort, now), kode_kabkota=entry.kode_kabkota, npsn=entry.npsn,
        created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "programme_year"]).returning(Enrollment.id))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user_id,
                                                            Enrollment.programme_year == entry.programme_year))
    if created is not None:
        emit("enrollment.created", enrollment=enrollment)
    return enrollment
