"""Cohort rules: windows in whole local days, enrollments, and which window state applies now."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager

from lms.auth.models import User
from lms.cohorts.errors import WindowClosed, WindowNotOpen
from lms.cohorts.models import Cohort, Enrollment, Extension, window_instants
from lms.core import audit
from lms.core.errors import Invalid, NotFound
from lms.extensions import db
from lms.modules.models import Curriculum
from lms.ukppg.models import ExamSession, ExamSite, Registration


class WindowState(StrEnum):
    BEFORE = "before"
    OPEN = "open"
    CLOSED = "closed"


def window_state(enrollment: Enrollment, now: datetime) -> WindowState:
    if now < enrollment.cohort.learning_opens_at:
        return WindowState.BEFORE
    if now < enrollment.closes_at():
        return WindowState.OPEN
    return WindowState.CLOSED


def require_open(enrollment: Enrollment, now: datetime) -> None:
    """Raise unless the participant's learning window is open at ``now`` (extensions honoured)."""
    state = window_state(enrollment, now)
    if state is WindowState.BEFORE:
        raise WindowNotOpen()
    if state is WindowState.CLOSED:
        raise WindowClosed()


#: Built once (the statement is the same for every request; only the user id is bound).
_CURRENT_ENROLLMENT = (
    select(Enrollment)
    .join(Enrollment.cohort)
    .outerjoin(Cohort.curriculum)
    .outerjoin(Registration, and_(Registration.enrollment_id == Enrollment.id, Registration.cancelled_at.is_(None)))
    .outerjoin(ExamSession, ExamSession.id == Registration.session_id)
    .outerjoin(ExamSite, ExamSite.id == ExamSession.site_id)
    .options(contains_eager(Enrollment.cohort).contains_eager(Cohort.curriculum),
             contains_eager(Enrollment.registration).contains_eager(Registration.session)
             .contains_eager(ExamSession.site))
    .where(Enrollment.user_id == bindparam("user_id"))
    .order_by(Enrollment.programme_year.desc(), Cohort.learning_opens_at.desc())
    .limit(1)
)


def current_enrollment(user_id: int) -> Enrollment | None:
    """The participant's enrollment of the latest programme year, with its cohort and curriculum (one query)."""
    return db.session.scalar(_CURRENT_ENROLLMENT, {"user_id": user_id})


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(details={"timezone": str(_l("Zona waktu tidak dikenal: %(tz)s", tz=name))}) from exc
    return name


def set_windows(cohort: Cohort, *, learning_start: date, learning_end: date, timezone: str,
                registration_start: date | None = None, registration_end: date | None = None) -> None:
    errors = {}
    if learning_end < learning_start:
        errors["learning_end"] = str(_l("Tanggal akhir harus sama atau sesudah tanggal mulai."))
    if registration_start and registration_end and registration_end < registration_start:
        errors["registration_end"] = str(_l("Tanggal akhir pendaftaran harus sesudah tanggal mulainya."))
    if errors:
        raise Invalid(details=errors)
    cohort.timezone = check_timezone(timezone)
    cohort.learning_opens_at, cohort.learning_closes_at = window_instants(learning_start, learning_end, timezone)
    cohort.registration_opens_at = window_instants(registration_start, registration_start, timezone)[0] \
        if registration_start else None
    cohort.registration_closes_at = window_instants(registration_end, registration_end, timezone)[1] \
        if registration_end else None


def create_cohort(*, code: str, name: str, programme_year: int, learning_start: date, learning_end: date,
                  timezone: str = "Asia/Jakarta", curriculum: Curriculum | None = None,
                  registration_start: date | None = None, registration_end: date | None = None) -> Cohort:
    if db.session.scalar(select(Cohort.id).where(Cohort.code == code)) is not None:
        raise Invalid(details={"code": str(_l("Kode angkatan %(code)s sudah dipakai.", code=code))})
    cohort = Cohort(code=code, name=name, programme_year=programme_year, curriculum=curriculum)
    set_windows(cohort, learning_start=learning_start, learning_end=learning_end, timezone=timezone,
                registration_start=registration_start, registration_end=registration_end)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def enroll(user: User, cohort: Cohort, *, now: datetime, kode_kabkota: str | None = None,
           status: str | None = None) -> Enrollment:
    """Enroll ``user`` in ``cohort`` (idempotent for the same cohort)."""
    existing = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                          Enrollment.programme_year == cohort.programme_year))
    if existing is not None:
        if existing.cohort_id != cohort.id:
            raise Invalid(_l("%(email)s sudah terdaftar di angkatan lain pada tahun program yang sama.",
                             email=user.email))
        return existing
    if status is None:
        status = "aktif" if cohort.learning_open_at(now) else "menunggu"
    enrollment = Enrollment(user=user, cohort=cohort, programme_year=cohort.programme_year, status=status,
                            kode_kabkota=kode_kabkota, created_at=now)
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def extend_participant(enrollment: Enrollment, until: date, *, reason: str, now: datetime,
                       actor_id: int | None) -> Extension:
    """Give one participant a personal end of the learning window (the last day ``until``, inclusive)."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = str(_l("Alasan perpanjangan wajib diisi."))
    end = window_instants(until, until, enrollment.cohort.timezone)[1]
    if end <= enrollment.cohort.learning_closes_at:
        errors["until"] = str(_l("Tanggal perpanjangan harus sesudah akhir masa pembelajaran angkatan (%(d)s).",
                                 d=enrollment.cohort.learning_end.isoformat()))
    if errors:
        raise Invalid(details=errors)
    extension = Extension(enrollment_id=enrollment.id, until=end, reason=reason[:500], granted_by_id=actor_id,
                          granted_at=now)
    db.session.add(extension)
    previous = enrollment.extended_until
    enrollment.extended_until = end
    if end > now and enrollment.status in ("tuntas", "tidak_tuntas") and enrollment.completed_at is None:
        enrollment.status = "aktif"
    audit.record("enrollment.extend", "enrollment", enrollment.id, actor_id=actor_id, now=now,
                 data={"until": end.isoformat(), "previous": previous.isoformat() if previous else None,
                       "reason": reason[:500], "cohort": enrollment.cohort.code})
    db.session.flush()
    return extension


def find_cohort(code: str) -> Cohort:
    cohort = db.session.scalar(select(Cohort).where(Cohort.code == code))
    if cohort is None:
        raise NotFound(_l("Angkatan %(code)s tidak ditemukan.", code=code))
    return cohort


def find_enrollment(cohort: Cohort, email: str) -> Enrollment:
    enrollment = db.session.scalar(select(Enrollment).join(User, User.id == Enrollment.user_id)
                                   .where(Enrollment.cohort_id == cohort.id, User.email == email.strip().lower()))
    if enrollment is None:
        raise NotFound(_l("%(email)s bukan peserta angkatan %(code)s.", email=email, code=cohort.code))
    return enrollment
