"""The log of Cek NIK lookups: who, when, from where, and the outcome; the NIK only as its keyed hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db


class NikLookup(db.Model):
    __tablename__ = "nik_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ip: Mapped[str] = mapped_column(String(64))
    #: ``registered``, ``not_registered``, ``linked`` (registered with the account itself) or ``invalid``.
    result: Mapped[str] = mapped_column(String(16))
    #: HMAC of the NIK (null for an invalid one): lets an auditor see repeated lookups of one NIK.
    nik_hash: Mapped[str | None] = mapped_column(String(64), index=True)
