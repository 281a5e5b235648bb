"""UKPPPG exam sites (TUK), their sessions with a seat capacity, and the participants' registrations."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db


class ExamSite(db.Model):
    __tablename__ = "exam_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: 2-digit province code (derived from the kab/kota).
    province: Mapped[str] = mapped_column(String(2), index=True)
    kode_kabkota: Mapped[str] = mapped_column(String(4))
    address: Mapped[str] = mapped_column(String(500), default="")

    sessions: Mapped[list[ExamSession]] = relationship(back_populates="site", order_by="ExamSession.date")


class ExamSession(db.Model):
    __tablename__ = "exam_sessions"
    __table_args__ = (
        UniqueConstraint("site_id", "date", "start", name="one_session_per_start"),
        # The database itself never lets a session be overbooked.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name="seats_within_capacity"),
        CheckConstraint("seats > 0", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("exam_sites.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column()
    #: Local start time at the site.
    start: Mapped[time] = mapped_column()
    seats: Mapped[int] = mapped_column()
    #: Seats held by active registrations, changed only by conditional UPDATEs (never read-modify-write).
    seats_taken: Mapped[int] = mapped_column(default=0)

    site: Mapped[ExamSite] = relationship(back_populates="sessions")

    @property
    def seats_left(self) -> int:
        return self.seats - self.seats_taken


class Registration(db.Model):
    __tablename__ = "ukppg_registrations"
    __table_args__ = (
        # At most one active registration per participant, whatever the concurrency.
        Index("uq_ukppg_registrations_active_enrollment", "enrollment_id", unique=True,
              postgresql_where=text("cancelled_at IS NULL"), sqlite_where=text("cancelled_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id", ondelete="RESTRICT"), index=True)
    #: Readable and unique, e.g. UKPPPG-2026-000123.
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[ExamSession] = relationship()
    enrollment = relationship("Enrollment")
