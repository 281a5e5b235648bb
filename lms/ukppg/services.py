"""UKPPPG registration rules: who may register and when, and seats taken atomically.

A seat is taken by one conditional UPDATE (``seats_taken < seats``), so two participants can never hold the
last seat; a partial unique index keeps one active registration per participant. Both happen inside one
savepoint: a refused registration gives its seat back. Cancelling is one conditional UPDATE
(``cancelled_at IS NULL``) and a change runs under the registration's row lock, so a seat is given back once
however many requests race. Session dates are days at the site, compared with today in the cohort's zone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit, csvsafe
from lms.core.errors import DomainError, NotFound
from lms.core.events import emit
from lms.core.prepared import flushed_connection
from lms.core.regions import WIB, province_of, timezone_for, zone_label
from lms.core.rows import RowShape, adopt, set_committed_value
from lms.extensions import db
from lms.ukppg import seat_statement
from lms.ukppg.models import ExamSession, ExamSite, Registration


class NotComplete(DomainError):
    code = "not_complete"
    status = 403
    message = _l("Selesaikan materi, post-test, dan jurnal setiap modul sebelum mendaftar UKPPPG.")


class SeatFull(DomainError):
    code = "seat_full"
    status = 409
    message = _l("Kursi pada sesi ini sudah penuh. Pilih sesi lain.")


class AlreadyRegistered(DomainError):
    code = "already_registered"
    status = 409
    message = _l("Anda sudah terdaftar UKPPPG. Untuk pindah sesi, gunakan Ubah sesi.")


class RegistrationClosed(DomainError):
    code = "window_closed"
    status = 423
    message = _l("Pendaftaran UKPPPG sedang tidak dibuka.")


class SessionPast(DomainError):
    code = "session_past"
    status = 409
    message = _l("Sesi ujian ini sudah lewat. Pilih sesi lain yang belum berlangsung.")


class NotRegistered(DomainError):
    code = "not_registered"
    status = 404
    message = _l("Anda belum terdaftar UKPPPG.")


@dataclass
class RegistrationWindow:
    opens_at: datetime | None
    closes_at: datetime

    def open_at(self, now: datetime) -> bool:
        return (self.opens_at is None or self.opens_at <= now) and now < self.closes_at


def registration_window(enrollment: Enrollment) -> RegistrationWindow:
    """The cohort's registration window; by default from completion until the learning window ends."""
    cohort = enrollment.cohort
    return RegistrationWindow(cohort.registration_opens_at, cohort.registration_closes_at or enrollment.closes_at())


def local_today(enrollment: Enrollment, now: datetime) -> date:
    """Today in the participant's cohort's zone (sessions are dated in local days)."""
    return now.astimezone(ZoneInfo(enrollment.cohort.timezone or "Asia/Jakarta")).date()


def require_can_register(enrollment: Enrollment, *, now: datetime) -> None:
    if enrollment.completed_at is None:
        raise NotComplete()
    window = registration_window(enrollment)
    if not window.open_at(now):
        if window.opens_at and now < window.opens_at:
            raise RegistrationClosed(_l("Pendaftaran UKPPPG belum dibuka."))
        raise RegistrationClosed(_l("Pendaftaran UKPPPG sudah ditutup."))


def active_registration(enrollment: Enrollment) -> Registration | None:
    return db.session.scalar(select(Registration).join(Registration.session).join(ExamSession.site)
                             .options(contains_eager(Registration.session).contains_eager(ExamSession.site))
                             .where(Registration.enrollment_id == enrollment.id, Registration.cancelled_at.is_(None)))


@dataclass(frozen=True)
class SessionFilter:
    """The session list's filters (each ``None`` when not given): a province, a kab/kota and a day."""
    province: str | None = None
    kabkota: str | None = None
    day: date | None = None


def list_sessions(enrollment: Enrollment | None, *, today: date | None = None,
                  where: SessionFilter | None = None) -> list[ExamSession]:
    """Sessions from ``today`` on (see ``local_today``): the participant's own kab/kota first, then the own
    province, then by province, date and time; narrowed by ``where``."""
    own_kabkota = enrollment.kode_kabkota if enrollment else None
    own = province_of(own_kabkota)
    query = (select(ExamSession).join(ExamSession.site).options(contains_eager(ExamSession.site))
             .order_by(case((ExamSite.kode_kabkota == own_kabkota, 0), (ExamSite.province == own, 1), else_=2),
                       ExamSite.province, ExamSession.date, ExamSession.start, ExamSite.name))
    if today is not None:
        query = query.where(ExamSession.date >= today)
    if where is not None:
        if where.province:
            query = query.where(ExamSite.province == where.province)
        if where.kabkota:
            query = query.where(ExamSite.kode_kabkota == where.kabkota)
        if where.day:
            query = query.where(ExamSession.date == where.day)
    return list(db.session.scalars(query))


def session_places(*, today: date | None = None) -> list[tuple[str, str]]:
    """The (province, kab/kota) pairs that have sessions from ``today`` on, for the filter form: one query."""
    query = select(ExamSite.province, ExamSite.kode_kabkota).join(ExamSession).distinct() \
        .order_by(ExamSite.province, ExamSite.kode_kabkota)
    if today is not None:
        query = query.where(ExamSession.date >= today)
    return [(p, k) for p, k in db.session.execute(query)]


def nearest_sessions(enrollment: Enrollment, full: ExamSession, *, today: date, limit: int = 3) -> list[ExamSession]:
    """The sessions to offer when ``full`` has no seat left: ones with a free seat, not yet past, in the full
    session's kab/kota first, then its province, then the participant's own province, each by the nearest date
    (before or after) and start; never the session the participant holds now. One query."""
    site = full.site
    if db.session.get_bind().dialect.name == "postgresql":
        distance = func.abs(ExamSession.date - full.date)
    else:
        distance = func.abs(func.julianday(ExamSession.date) - func.julianday(full.date.isoformat()))
    query = (select(ExamSession).join(ExamSession.site).options(contains_eager(ExamSession.site))
             .where(ExamSession.id != full.id, ExamSession.seats_taken < ExamSession.seats,
                    ExamSession.date >= today)
             .order_by(case((ExamSite.kode_kabkota == site.kode_kabkota, 0), (ExamSite.province == site.province, 1),
                            (ExamSite.province == province_of(enrollment.kode_kabkota), 2), else_=3),
                       distance, ExamSession.date, ExamSession.start, ExamSite.name)
             .limit(limit))
    if enrollment.registration is not None:  # moving: the session held now is no offer
        query = query.where(ExamSession.id != enrollment.registration.session_id)
    return list(db.session.scalars(query))


#: The session and its site, side by side (the answer names the site: no second statement for it).
_SEAT = RowShape(ExamSession, ExamSite)
#: What the seat's UPDATE returns: the session's columns, then its site's, each as a correlated subquery (SQLite's
#: RETURNING sees only the updated table; on PostgreSQL each is one primary-key look-up).
_SEAT_RETURNING = [
    *_SEAT.columns()[:_SEAT.parts[0].stop],
    *(select(getattr(ExamSite, key)).where(ExamSite.id == ExamSession.site_id).scalar_subquery().label(f"site_{key}")
      for key in _SEAT.parts[1].keys),
]


def _take_seat(session_id: int, *, today: date) -> ExamSession:
    """One conditional UPDATE: a seat is taken only while one is left and the session has not passed. Returns the
    session as updated, with its site (``UPDATE ... RETURNING``: no second read)."""
    session = db.session()
    row = flushed_connection(session).execute(
        update(ExamSession.__table__)
        .where(ExamSession.id == session_id, ExamSession.seats_taken < ExamSession.seats,
               ExamSession.date >= today)
        .values(seats_taken=ExamSession.seats_taken + 1)
        .returning(*_SEAT_RETURNING)).first()
    taken = None
    if row is not None:
        taken, site = _SEAT.adopt(session, row, refresh=True)
        if "site" not in taken.__dict__:
            set_committed_value(taken, "site", site)
    if taken is None:
        exam = db.session.get(ExamSession, session_id)
        if exam is None:
            raise NotFound(_l("Sesi UKPPPG tidak ditemukan."))
        if exam.date < today:
            raise SessionPast()
        raise SeatFull()
    return taken


def _give_back(session_id: int) -> None:
    db.session.execute(update(ExamSession).where(ExamSession.id == session_id, ExamSession.seats_taken > 0)
                       .values(seats_taken=ExamSession.seats_taken - 1),
                       execution_options={"synchronize_session": False})


def register(enrollment: Enrollment, session_id: int, *, now: datetime) -> Registration:
    """Take a seat and record the registration. The participant's active registration comes with the enrollment
    (``current_enrollment`` joins it); a concurrent registration of the same participant is caught by the unique
    index, and the refusal rolls the whole request back, the seat included (the request boundary). On PostgreSQL
    the seat, the registration, its number and the audit row are one statement (``seat_statement``)."""
    require_can_register(enrollment, now=now)
    if enrollment.registration is not None:
        raise AlreadyRegistered()
    today = local_today(enrollment, now)
    if db.session.get_bind().dialect.name == "postgresql":
        registration = _register_at_once(enrollment, session_id, today=today, now=now)
        emit("ukppg.registered", enrollment=enrollment, registration=registration, now=now)
        return registration
    session = _take_seat(session_id, today=today)
    registration = Registration(enrollment_id=enrollment.id, session_id=session_id, created_at=now, session=session)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # A concurrent request registered this participant first: nothing of this one may stay.
        db.session.rollback()
        raise AlreadyRegistered() from exc
    registration.number = f"UKPPPG-{enrollment.programme_year}-{registration.id:06d}"
    audit.record("ukppg.register", "registration", registration.id, actor_id=enrollment.user_id, now=now,
                 data={"session_id": session_id, "number": registration.number})
    db.session.flush()
    emit("ukppg.registered", enrollment=enrollment, registration=registration, now=now)
    return registration


def _register_at_once(enrollment: Enrollment, session_id: int, *, today: date, now: datetime) -> Registration:
    session = db.session()
    connection = flushed_connection(session)
    try:
        row = seat_statement.take_seat_and_register(
            connection, session_id=session_id, today=today, enrollment_id=enrollment.id,
            actor_id=enrollment.user_id, prefix=f"UKPPPG-{enrollment.programme_year}-", now=now)
    except IntegrityError as exc:
        # A concurrent request registered this participant first: nothing of this one may stay.
        session.rollback()
        raise AlreadyRegistered() from exc
    if row is None:  # nothing written: say why
        day = seat_statement.session_day(connection, session_id)
        if day is None:
            raise NotFound(_l("Sesi UKPPPG tidak ditemukan."))
        if day < today:
            raise SessionPast()
        raise SeatFull()
    taken, site = _SEAT.adopt(session, row, refresh=True)
    if "site" not in taken.__dict__:
        set_committed_value(taken, "site", site)
    registration = adopt(session, Registration, id=row.registration_id, enrollment_id=enrollment.id,
                         session_id=session_id, number=row.number, created_at=now, changed_at=None,
                         cancelled_at=None)
    set_committed_value(registration, "session", taken)
    return registration


def _lock_active_registration(enrollment: Enrollment) -> Registration | None:
    """The active registration under its row lock (PostgreSQL): concurrent changes and cancels of it queue here
    and then see its latest committed state, never the one they read before."""
    return db.session.scalar(select(Registration)
                             .where(Registration.enrollment_id == enrollment.id, Registration.cancelled_at.is_(None))
                             .with_for_update().execution_options(populate_existing=True))


def change(enrollment: Enrollment, session_id: int, *, now: datetime) -> Registration:
    """Move to another session: the new seat is taken before the old one goes back, exactly once."""
    require_can_register(enrollment, now=now)
    registration = _lock_active_registration(enrollment)
    if registration is None:
        raise NotRegistered()
    old = registration.session_id
    if old == session_id:
        return registration
    if db.session.get(ExamSession, session_id) is None:  # sessions are never deleted: checked once, before moving
        raise NotFound(_l("Sesi UKPPPG tidak ditemukan."))
    today = local_today(enrollment, now)
    with db.session.begin_nested():
        # The row lock serialises movers on PostgreSQL; the condition on the old session keeps the move atomic
        # where FOR UPDATE is a no-op (SQLite): the old seat is released only by the request that moved it.
        moved = db.session.execute(update(Registration)
                                   .where(Registration.id == registration.id, Registration.cancelled_at.is_(None),
                                          Registration.session_id == old)
                                   .values(session_id=session_id, changed_at=now),
                                   execution_options={"synchronize_session": False}).rowcount
        if moved != 1:
            raise NotRegistered()
        # Lock both sessions in id order, so that two participants swapping sessions cannot deadlock.
        for sid in sorted((old, session_id)):
            if sid == session_id:
                _take_seat(sid, today=today)
            else:
                _give_back(sid)
    db.session.expire(registration)
    audit.record("ukppg.change", "registration", registration.id, actor_id=enrollment.user_id, now=now,
                 data={"from": old, "to": session_id})
    return registration


def cancel(enrollment: Enrollment, *, now: datetime) -> Registration:
    """One conditional UPDATE decides which request cancels; only that one gives the seat back."""
    registration = active_registration(enrollment)
    if registration is None:
        raise NotRegistered()
    window = registration_window(enrollment)
    if not window.open_at(now):
        raise RegistrationClosed(_l("Pendaftaran UKPPPG sudah ditutup: pembatalan tidak dapat dilakukan."))
    # RETURNING gives the session the row holds when this UPDATE wins, even after a concurrent change.
    session_id = db.session.execute(update(Registration)
                                    .where(Registration.id == registration.id, Registration.cancelled_at.is_(None))
                                    .values(cancelled_at=now).returning(Registration.session_id),
                                    execution_options={"synchronize_session": False}).scalar_one_or_none()
    if session_id is None:
        raise NotRegistered()
    _give_back(session_id)
    number = registration.number  # numbers never change
    db.session.expire(registration)
    audit.record("ukppg.cancel", "registration", registration.id, actor_id=enrollment.user_id, now=now,
                 data={"session_id": session_id, "number": number})
    emit("ukppg.cancelled", enrollment=enrollment, registration=registration, now=now)
    return registration


EXPORT_COLUMNS = ("number", "email", "name", "cohort", "site", "kode_kabkota", "date", "start", "registered_at")


def _export_query(cohort_code: str | None):
    query = (select(Registration.number, User.email, User.name, Cohort.code, ExamSite.name, ExamSite.kode_kabkota,
                    ExamSession.date, ExamSession.start, Registration.created_at)
             .join(Enrollment, Enrollment.id == Registration.enrollment_id).join(User, User.id == Enrollment.user_id)
             .join(Cohort, Cohort.id == Enrollment.cohort_id)
             .join(ExamSession, ExamSession.id == Registration.session_id).join(ExamSite)
             .where(Registration.cancelled_at.is_(None)).order_by(Registration.number))
    if cohort_code:
        query = query.where(Cohort.code == cohort_code)
    return db.session.execute(query)


def export_rows(cohort_code: str | None = None) -> list[dict]:
    """Active registrations for the exam system, one query."""
    return [dict(zip(EXPORT_COLUMNS, (n, e, nm, c, s, k, d.isoformat(), t.strftime("%H:%M"), r.isoformat()),
                     strict=True))
            for n, e, nm, c, s, k, d, t, r in _export_query(cohort_code)]


def export_csv_header(tz: str) -> list[str]:
    """The CSV's header: the session's start is the site's local time (its zone in ``zona``), the registration
    moment is in ``tz``, named in the header."""
    return ["number", "email", "name", "cohort", "site", "kode_kabkota", "date", "start (waktu setempat)", "zona",
            f"registered_at ({zone_label(tz)})"]


def export_csv(cohort_code: str | None = None, *, tz: str = WIB) -> str:
    """Active registrations as CSV for a spreadsheet: times in a named zone, never UTC or ISO."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(export_csv_header(tz))
    shown_in = ZoneInfo(tz)
    for n, e, nm, c, s, k, d, t, r in _export_query(cohort_code):
        registered = (r if r.tzinfo else r.replace(tzinfo=UTC)).astimezone(shown_in)
        writer.writerow((n, e, nm, c, s, k, d.isoformat(), t.strftime("%H:%M"), zone_label(timezone_for(k)),
                         registered.strftime("%Y-%m-%d %H:%M")))
    return out.getvalue()
