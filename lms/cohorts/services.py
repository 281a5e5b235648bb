"""Cohort rules: windows in whole local days, enrollments, and which window state applies now."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.cohorts.current import load_current_enrollment
from lms.cohorts.errors import WindowClosed, WindowNotOpen
from lms.cohorts.models import Cohort, Enrollment, Extension, window_instants
from lms.cohorts.roster_models import RosterEntry
from lms.core import audit
from lms.core.errors import Invalid, NotFound
from lms.core.events import emit
from lms.core.regions import WIB, WIT, WITA
from lms.curriculum.models import Curriculum
from lms.extensions import db


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


def current_enrollment(user_id: int) -> Enrollment | None:
    """The participant's enrollment of the latest programme year, with its cohort and curriculum: one statement, or
    none for the first look-up of the user who is asking (it came with them, ``lms.cohorts.current``)."""
    return load_current_enrollment(user_id)


#: Cohort codes: letters, digits, ``.``, ``_`` and ``-``, at most 32 (the column), starting with a letter or digit.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
#: Codes that would hide a cohort's pages behind another route (``/admin/cohorts/new``).
RESERVED_CODES = frozenset({"new"})
#: The zones a cohort's whole days are counted in: Indonesia's three (WIB, WITA, WIT).
TIMEZONES = (WIB, WITA, WIT)
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: Registration for the exam may close at most this long after the learning window.
REGISTRATION_GRACE = timedelta(days=365)


def code_problem(code) -> str | None:
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return str(_l("Kode wajib diisi: huruf, angka, titik, garis bawah atau tanda hubung, maksimal 32 karakter."))
    if code.lower() in RESERVED_CODES:
        return str(_l("Kode %(code)s tidak dapat dipakai karena kata khusus; pilih kode lain.", code=code))
    return None


def name_problem(name) -> str | None:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        return str(_l("Nama angkatan wajib diisi (maksimal 200 karakter)."))
    return None


def year_problem(year) -> str | None:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        return str(_l("Tahun program harus berupa tahun, misalnya 2024."))
    return None


def timezone_problem(name) -> str | None:
    if name not in TIMEZONES:
        return str(_l("Pilih zona waktu WIB, WITA, atau WIT."))
    return None


def check_timezone(name: str) -> str:
    if problem := timezone_problem(name):
        raise Invalid(details={"timezone": problem})
    return name


def window_problems(*, learning_start: date, learning_end: date, timezone: str, registration_start: date | None,
                    registration_end: date | None) -> dict[str, str]:
    """Every problem of a cohort's windows, by field (empty when they are fine)."""
    errors: dict[str, str] = {}
    if problem := timezone_problem(timezone):
        errors["timezone"] = problem
    days = {"learning_start": learning_start, "learning_end": learning_end, "registration_start": registration_start,
            "registration_end": registration_end}
    for name, day in days.items():
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors[name] = str(_l("Tanggal harus antara tahun %(first)s dan %(last)s.", first=FIRST_YEAR,
                                  last=LAST_YEAR))
    if errors.keys() & days.keys():
        return errors
    if learning_end < learning_start:
        errors["learning_end"] = str(_l("Tanggal akhir harus sama atau sesudah tanggal mulai."))
    if registration_start and registration_start < learning_start:
        errors["registration_start"] = str(_l("Pendaftaran UKPPPG tidak dapat dibuka sebelum masa pembelajaran "
                                              "dimulai."))
    if registration_end:
        if registration_start and registration_end < registration_start:
            errors["registration_end"] = str(_l("Tanggal akhir pendaftaran harus sesudah tanggal mulainya."))
        elif registration_end < learning_start:
            errors["registration_end"] = str(_l("Pendaftaran UKPPPG harus ditutup sesudah masa pembelajaran dimulai."))
        elif registration_end > learning_end + REGISTRATION_GRACE:
            errors["registration_end"] = str(_l("Pendaftaran UKPPPG harus ditutup paling lambat satu tahun sesudah "
                                                "masa pembelajaran berakhir."))
    return errors


def cohort_problems(*, name: str, programme_year: int, learning_start: date, **windows) -> dict[str, str]:
    """Every problem of a cohort's fields (without its code), by field: name, programme year, windows."""
    errors = window_problems(learning_start=learning_start, **windows)
    if problem := name_problem(name):
        errors["name"] = problem
    if problem := year_problem(programme_year):
        errors["programme_year"] = problem
    elif "learning_start" not in errors and abs(learning_start.year - programme_year) > 1:
        errors["programme_year"] = str(_l("Tahun program harus sesuai masa pembelajaran (tahun %(year)s, selisih "
                                          "paling banyak satu tahun).", year=learning_start.year))
    return errors


def _apply_windows(cohort: Cohort, *, learning_start: date, learning_end: date, timezone: str,
                   registration_start: date | None, registration_end: date | None) -> None:
    """The windows as UTC instants (as they read back from the database)."""
    opens, closes = window_instants(learning_start, learning_end, timezone)
    cohort.timezone = timezone
    cohort.learning_opens_at, cohort.learning_closes_at = opens.astimezone(UTC), closes.astimezone(UTC)
    cohort.registration_opens_at = window_instants(registration_start, registration_start, timezone)[0] \
        .astimezone(UTC) if registration_start else None
    cohort.registration_closes_at = window_instants(registration_end, registration_end, timezone)[1] \
        .astimezone(UTC) if registration_end else None


def set_windows(cohort: Cohort, *, learning_start: date, learning_end: date, timezone: str,
                registration_start: date | None = None, registration_end: date | None = None) -> None:
    windows = {"learning_start": learning_start, "learning_end": learning_end, "timezone": timezone,
               "registration_start": registration_start, "registration_end": registration_end}
    if errors := window_problems(**windows):
        raise Invalid(details=errors)
    _apply_windows(cohort, **windows)


def snapshot(cohort: Cohort) -> dict:
    """A cohort's editable fields, as the audit records them."""
    def iso(day: date | None) -> str | None:
        return day.isoformat() if day else None

    return {"code": cohort.code, "learning_start": iso(cohort.learning_start), "learning_end": iso(cohort.learning_end),
            "registration_start": iso(cohort.registration_start), "registration_end": iso(cohort.registration_end),
            "timezone": cohort.timezone, "programme_year": cohort.programme_year, "name": cohort.name,
            "curriculum_id": cohort.curriculum_id}


def create_cohort(*, code: str, name: str, programme_year: int, learning_start: date, learning_end: date,
                  timezone: str = WIB, curriculum: Curriculum | None = None, registration_start: date | None = None,
                  registration_end: date | None = None, actor_id: int | None = None,
                  now: datetime | None = None) -> Cohort:
    """Create a cohort, audited; the page, the API, the demo and the tests all come here. Bad input changes nothing."""
    windows = {"learning_start": learning_start, "learning_end": learning_end, "timezone": timezone,
               "registration_start": registration_start, "registration_end": registration_end}
    errors = cohort_problems(name=name, programme_year=programme_year, **windows)
    if problem := code_problem(code):
        errors["code"] = problem
    if errors:
        raise Invalid(details=errors)
    cohort = Cohort(code=code, name=name.strip(), programme_year=programme_year, curriculum=curriculum)
    _apply_windows(cohort, **windows)
    try:
        with db.session.begin_nested():  # the unique code decides between two concurrent creations
            db.session.add(cohort)
            db.session.flush()
    except IntegrityError as exc:
        raise Invalid(details={"code": str(_l("Kode angkatan %(code)s sudah dipakai.", code=code))}) from exc
    audit.record("cohort.create", "cohort", cohort.code, actor_id=actor_id, now=now, data=snapshot(cohort))
    db.session.flush()
    return cohort


def update_cohort(cohort: Cohort, *, name: str, programme_year: int, curriculum: Curriculum | None,
                  learning_start: date, learning_end: date, timezone: str, registration_start: date | None,
                  registration_end: date | None, actor_id: int | None, now: datetime) -> Cohort:
    """Change a cohort's name, year, curriculum and windows, audited. Bad input changes nothing."""
    windows = {"learning_start": learning_start, "learning_end": learning_end, "timezone": timezone,
               "registration_start": registration_start, "registration_end": registration_end}
    errors = cohort_problems(name=name, programme_year=programme_year, **windows)
    if "programme_year" not in errors and programme_year != cohort.programme_year and _has_participants(cohort):
        # Enrollments and roster rows carry the year: one cohort per participant per year is enforced on it.
        errors["programme_year"] = str(_l(
            "Tahun program tidak dapat diubah: angkatan ini sudah memiliki peserta. Buat angkatan baru untuk "
            "tahun program lain."))
    if errors:
        raise Invalid(details=errors)
    old = snapshot(cohort)
    _apply_windows(cohort, **windows)
    cohort.name, cohort.programme_year, cohort.curriculum = name.strip(), programme_year, curriculum
    if (curriculum.id if curriculum else None) != old["curriculum_id"]:
        db.session.flush()
        emit("cohort.curriculum_changed", cohort_id=cohort.id)
    audit.record("cohort.update", "cohort", cohort.code, actor_id=actor_id, now=now,
                 data={"old": old, "new": snapshot(cohort)})
    db.session.flush()
    return cohort


def _has_participants(cohort: Cohort) -> bool:
    return db.session.scalar(select(exists().where(Enrollment.cohort_id == cohort.id))) or \
        db.session.scalar(select(exists().where(RosterEntry.cohort_id == cohort.id)))


def initial_status(cohort: Cohort, now: datetime) -> str:
    """The status a new enrollment starts in: ``aktif`` while the cohort's learning window is open, else
    ``menunggu`` (the enforcement pass moves it on). Every path that creates enrollments uses this, the set-based
    roster import as a bound value."""
    return "aktif" if cohort.learning_open_at(now) else "menunggu"


def enroll(user: User, cohort: Cohort, *, now: datetime, kode_kabkota: str | None = None,
           npsn: str | None = None, status: str | None = None) -> Enrollment:
    """Enroll ``user`` in ``cohort`` (idempotent for the same cohort)."""
    existing = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                          Enrollment.programme_year == cohort.programme_year))
    if existing is not None:
        if existing.cohort_id != cohort.id:
            raise Invalid(_l("%(email)s sudah terdaftar di angkatan lain pada tahun program yang sama.",
                             email=user.email))
        return existing
    if status is None:
        status = initial_status(cohort, now)
    enrollment = Enrollment(user=user, cohort=cohort, programme_year=cohort.programme_year, status=status,
                            kode_kabkota=kode_kabkota, npsn=npsn, created_at=now)
    db.session.add(enrollment)
    db.session.flush()
    emit("enrollment.created", enrollment=enrollment)
    return enrollment


def extend_participant(enrollment: Enrollment, until: date, *, reason: str, now: datetime,
                       actor_id: int | None) -> Extension:
    """Give one participant a personal end of the learning window (the last day ``until``, inclusive)."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = str(_l("Alasan perpanjangan wajib diisi."))
    if not FIRST_YEAR <= until.year <= LAST_YEAR:
        errors["until"] = str(_l("Tanggal harus antara tahun %(first)s dan %(last)s.", first=FIRST_YEAR,
                                 last=LAST_YEAR))
        raise Invalid(details=errors)
    end = window_instants(until, until, enrollment.cohort.timezone)[1].astimezone(UTC)
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


def find_curriculum(code: str | None) -> Curriculum | None:
    """The curriculum named by ``code`` (``None`` for none); an unknown code is a field error."""
    if code is None:
        return None
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.code == code))
    if curriculum is None:
        raise Invalid(details={"curriculum": str(_l("Kurikulum %(code)s tidak dikenal.", code=code))})
    return curriculum


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
