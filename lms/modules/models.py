"""The record of materi done: a participant's own rows beside the shared curriculum (``lms.curriculum``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db


class MateriProgress(db.Model):
    __tablename__ = "materi_progress"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    materi_id: Mapped[int] = mapped_column(ForeignKey("materi.id", ondelete="CASCADE"), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime())
