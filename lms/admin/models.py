"""One "berisiko" reminder per participant and day: the primary key arbitrates, whatever the concurrent clicks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db


class AtRiskReminder(db.Model):
    __tablename__ = "at_risk_reminders"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    #: The day (in the cohort's time zone) the reminder was sent.
    day: Mapped[date] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
