"""Pusat Bantuan tickets and their threads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db

CATEGORIES = ("tidak_terdaftar", "akun_tidak_dikenal", "akun_lama", "lainnya")
STATUSES = ("baru", "diproses", "selesai")
#: Column lengths, checked on input (forms and API) before they reach the database.
MAX_NAME = 200
MAX_ACCOUNT = 254
MAX_SCHOOL = 200
MAX_TEXT = 5000


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("category IN ('tidak_terdaftar', 'akun_tidak_dikenal', 'akun_lama', 'lainnya')",
                        name="known_category"),
        CheckConstraint("status IN ('baru', 'diproses', 'selesai')", name="known_status"),
        Index("ix_tickets_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account that opened the ticket (the only teacher who may see it).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10), default="baru")
    full_name: Mapped[str] = mapped_column(String(MAX_NAME))
    #: The NIK the reporter typed: keyed hash to find roster entries, Fernet-encrypted for the helpdesk.
    nik_hash: Mapped[str] = mapped_column(String(64), index=True)
    nik_encrypted: Mapped[str] = mapped_column(Text)
    #: The belajar.id account the reporter says is theirs (lower-case).
    belajar_id_account: Mapped[str] = mapped_column(String(MAX_ACCOUNT))
    satuan_pendidikan: Mapped[str] = mapped_column(String(MAX_SCHOOL))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Path of the SIMPKB invitation screenshot under the instance folder (never under static/).
    screenshot_path: Mapped[str] = mapped_column(String(500))
    screenshot_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user = relationship("User", foreign_keys=[user_id])
    messages: Mapped[list[TicketMessage]] = relationship(order_by="TicketMessage.created_at",
                                                         cascade="all, delete-orphan")


class TicketMessage(db.Model):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: True for the helpdesk's replies (shown as "Pusat Bantuan" to the teacher).
    from_helpdesk: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author = relationship("User")
