"""Append-only audit trail: who did what to which record, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.core.time import now_utc
from lms.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),
                      # The log's order, newest first (keyset pages, day ranges).
                      Index("ix_audit_events_at_id", "at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The acting user; null for the system (CLI, Celery).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Dotted verb, e.g. ``roles.grant``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64))
    #: Before/after values and context; never personal data in clear text.
    data: Mapped[dict] = mapped_column(JSON, default=dict)


def record(action: str, subject_type: str, subject_id, *, actor_id: int | None = None,
           data: dict | None = None, now: datetime | None = None) -> AuditEvent:
    event = AuditEvent(at=now or now_utc(), actor_id=actor_id, action=action, subject_type=subject_type,
                       subject_id=str(subject_id), data=data or {})
    db.session.add(event)
    return event
