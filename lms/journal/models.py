"""Learning-journal prompts and the participants' entries (drafts saved as they type)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db

#: Longest answer accepted per prompt (characters), in the API, the form and the page's ``maxlength``.
MAX_ANSWER_LENGTH = 20_000


class Prompt(db.Model):
    __tablename__ = "journal_prompts"
    __table_args__ = (UniqueConstraint("module_id", "position", name="prompt_position"),
                      CheckConstraint("min_length >= 0", name="min_length_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    #: Minimum characters of an answer (after trimming) for the journal to be submitted.
    min_length: Mapped[int] = mapped_column(default=100)


class JournalEntry(db.Model):
    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id", name="one_entry_per_module"),
                      CheckConstraint("status IN ('draft', 'submitted')", name="known_status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    #: {prompt_id: text} (string keys): the latest text typed, saved automatically.
    draft_answers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The text last submitted; a revision replaces it only when it is submitted again (and valid).
    submitted_answers: Mapped[dict | None] = mapped_column(JSON)
    #: ``submitted`` once submitted; it stays so while a revision is drafted.
    status: Mapped[str] = mapped_column(String(10), default="draft")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Bumped on every save; a client sends the version it edited so that an older tab cannot overwrite.
    version: Mapped[int] = mapped_column(default=1)
