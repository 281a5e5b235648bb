"""The outbox: every message the system sends is recorded here; SMTP delivers it when configured."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_pending", "sent_at", "id"),
                      # The admins' outbox list, latest first (keyset pages).
                      Index("ix_outbox_messages_created_id", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. ``reminder``; the template the message is rendered with.
    kind: Mapped[str] = mapped_column(String(32))
    to_email: Mapped[str] = mapped_column(String(254))
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    #: Template parameters (e.g. the milestone).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a worker took this message to send it (committed before sending). A claim older than the lease
    #: (``OUTBOX_CLAIM_TIMEOUT``) belongs to a worker that died mid-send; the message is sent again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The claim's token: only the worker holding it records the outcome.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    #: The last delivery error, if any.
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)

    enrollment = relationship("Enrollment")
