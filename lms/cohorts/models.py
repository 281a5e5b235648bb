"""Cohorts (angkatan / tahap) with their windows, and the enrollments of participants."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db

STATUSES = ("menunggu", "aktif", "tuntas", "tidak_tuntas")


def day_start(day: date, tz: str) -> datetime:
    """00:00 of ``day`` in the zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def window_instants(first_day: date, last_day: date, tz: str) -> tuple[datetime, datetime]:
    """A window of whole days: opens at 00:00 of the first day, closes at 00:00 after the last (exclusive)."""
    return day_start(first_day, tz), day_start(last_day + timedelta(days=1), tz)


class Cohort(db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("learning_closes_at > learning_opens_at", name="learning_window_order"),
        CheckConstraint("registration_closes_at IS NULL OR registration_opens_at IS NULL "
                        "OR registration_closes_at > registration_opens_at", name="registration_window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    programme_year: Mapped[int] = mapped_column()
    curriculum_id: Mapped[int | None] = mapped_column(ForeignKey("curricula.id", ondelete="RESTRICT"))
    #: IANA zone the window's whole days are counted in (default WIB).
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    #: 00:00 of the first learning day in ``timezone``, in UTC.
    learning_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: 00:00 of the day after the last learning day (exclusive end), in UTC.
    learning_closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: UKPPPG registration window; when null, registration opens on completion.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When null, registration closes with the learning window.
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the enforcement pass recorded that registration closed.
    registration_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    curriculum = relationship("Curriculum")

    @hybrid_method
    def learning_open_at(self, now: datetime):
        return (self.learning_opens_at <= now) & (now < self.learning_closes_at)

    @learning_open_at.expression
    def learning_open_at(cls, now: datetime):
        return and_(cls.learning_opens_at <= now, cls.learning_closes_at > now)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def learning_start(self) -> date:
        return self.local_date(self.learning_opens_at)

    @property
    def learning_end(self) -> date:
        """The last learning day (inclusive)."""
        return self.local_date(self.learning_closes_at - timedelta(seconds=1))

    @property
    def registration_start(self) -> date | None:
        return self.local_date(self.registration_opens_at) if self.registration_opens_at else None

    @property
    def registration_end(self) -> date | None:
        if self.registration_closes_at is None:
            return None
        return self.local_date(self.registration_closes_at - timedelta(seconds=1))


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint("status IN ('menunggu', 'aktif', 'tuntas', 'tidak_tuntas')", name="known_status"),
        # A participant belongs to one cohort of a programme year.
        UniqueConstraint("user_id", "programme_year", name="one_cohort_per_year"),
        Index("ix_enrollments_cohort_status", "cohort_id", "status"),
        # The grouped progress reports count statuses and completions per kab/kota from this index alone.
        Index("ix_enrollments_cohort_kabkota", "cohort_id", "kode_kabkota",
              postgresql_include=["status", "completed_at"]),
        # ... and per school, by the NPSN.
        Index("ix_enrollments_cohort_npsn", "cohort_id", "npsn", postgresql_include=["status", "completed_at"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    #: Copied from the cohort, so that the database enforces one cohort per programme year.
    programme_year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="menunggu")
    #: 4-digit Kemendagri code of the participant's kab/kota (its province gives the time zone).
    kode_kabkota: Mapped[str | None] = mapped_column(String(4))
    #: NPSN of the participant's school: copied from the cohort's roster entry with the kab/kota (Cek NIK link,
    #: roster import, which also moves it when the entry's school changes); none without a roster entry.
    npsn: Mapped[str | None] = mapped_column(String(8))
    #: A personal end of the learning window granted by an admin (exclusive instant, UTC).
    extended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When every part of every module was first done.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The materi the participant last opened, to resume there.
    last_materi_id: Mapped[int | None] = mapped_column(ForeignKey("materi.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    cohort: Mapped[Cohort] = relationship()
    user = relationship("User")
    #: The active UKPPPG registration, if any (loaded with the enrollment by ``current_enrollment``).
    registration = relationship(
        "Registration", uselist=False, viewonly=True,
        primaryjoin="and_(Registration.enrollment_id == Enrollment.id, Registration.cancelled_at.is_(None))")

    def closes_at(self) -> datetime:
        """The end of this participant's learning window: the cohort's, or a later personal extension."""
        end = self.cohort.learning_closes_at
        return max(end, self.extended_until) if self.extended_until else end


class Extension(db.Model):
    """A personal extension of one participant's learning window (the latest one applies)."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    #: The new end of the window (exclusive instant, UTC).
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(500))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(db.Model):
    """A reminder milestone (H-7, H-3, H-1) reached by one participant: claimed once, whatever the workers."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("enrollment_id", "milestone", name="once_per_milestone"),
                      CheckConstraint("milestone IN ('H-7', 'H-3', 'H-1')", name="known_milestone"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    milestone: Mapped[str] = mapped_column(String(4))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The pass that claimed it: only that pass queues its message.
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    #: True when a later milestone was already due at claim time (after downtime): recorded, not sent.
    skipped: Mapped[bool] = mapped_column(default=False)
