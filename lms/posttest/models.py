"""Post-test questions (practice, never an exam result) and the participants' attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db


class Question(db.Model):
    __tablename__ = "posttest_questions"
    __table_args__ = (UniqueConstraint("module_id", "position", name="question_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    #: Why the right option is right; shown as feedback after an attempt.
    explanation: Mapped[str] = mapped_column(Text)

    options: Mapped[list[Option]] = relationship(order_by="Option.position", cascade="all, delete-orphan")


class Option(db.Model):
    __tablename__ = "posttest_options"
    __table_args__ = (UniqueConstraint("question_id", "position", name="option_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("posttest_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(default=False)


class Attempt(db.Model):
    __tablename__ = "posttest_attempts"
    __table_args__ = (Index("ix_posttest_attempts_enrollment_module", "enrollment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    #: Practice feedback only: never exported as an exam result.
    score: Mapped[int] = mapped_column()
    max_score: Mapped[int] = mapped_column()
    #: {question_id: option_id} as submitted (string keys).
    answers: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
