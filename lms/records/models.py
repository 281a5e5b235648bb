"""The xAPI outbox, issued credentials and calendar-feed tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db


class XapiStatement(db.Model):
    """One xAPI statement, written in the transaction of the event it records, sent later by the delivery task."""

    __tablename__ = "xapi_statements"
    __table_args__ = (Index("ix_xapi_statements_due", "sent_at", "dead_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The statement's ``id``, fixed when the row is written: a re-delivery carries the same id, so the LRS keeps one.
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: What the statement records (``materi:ENROLLMENT:MATERI``, ``posttest:ATTEMPT``, ...): one statement per event,
    #: whether the event wrote it or the backfill did.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    statement: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Not sent before this instant (backoff after a failure); NULL means now.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    #: A worker's claim (committed before sending); a claim older than the lease belongs to a dead worker.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set after the last allowed attempt failed: the statement waits on the dead-letter list for an admin's retry.
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(500))


class Credential(db.Model):
    """An OpenBadgeCredential issued to a participant who completed every module."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The credential's ``id`` (``urn:uuid:...``).
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    #: The credential's bit in the Bitstring Status List (revocation).
    status_index: Mapped[int] = mapped_column(unique=True)
    #: The signed VC-JWT as issued.
    jwt: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(500))

    enrollment = relationship("Enrollment")


class CalendarToken(db.Model):
    """A secret calendar-feed address of one account; only a hash of the secret is kept."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the secret in the feed URL.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
