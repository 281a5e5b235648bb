"""Rosters: who is a participant of which cohort (one row per NIK), and the jobs that import them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db


class RosterEntry(db.Model):
    __tablename__ = "roster_entries"
    __table_args__ = (
        # One NIK, and one account, per programme year (a participant belongs to one cohort of a year). The NIK
        # hash leads, so the same index finds any year's entries of a NIK (cek NIK, help desk): a separate index
        # for those (a hash index since migration 0016) cost each inserted entry one more index entry, about an
        # eighth of the CPU of a first import's INSERT of roster entries (migration 0026).
        UniqueConstraint("nik_hash", "programme_year", name="nik_per_year"),
        UniqueConstraint("programme_year", "email", name="email_per_year"),
        Index("ix_roster_entries_cohort_kabkota", "cohort_id", "kode_kabkota"),
        # The names of one page of schools in the report by school.
        Index("ix_roster_entries_cohort_npsn", "cohort_id", "npsn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    programme_year: Mapped[int] = mapped_column()
    #: HMAC-SHA256 of the NIK (keyed): how a NIK is looked up without storing it in clear.
    nik_hash: Mapped[str] = mapped_column(String(64))
    #: The NIK, Fernet-encrypted; readable only by roles that need it.
    nik_encrypted: Mapped[str] = mapped_column(Text)
    nama: Mapped[str] = mapped_column(String(200))
    #: The belajar.id account the participant is registered with (lower-case).
    email: Mapped[str] = mapped_column(String(254))
    npsn: Mapped[str] = mapped_column(String(8))
    satuan_pendidikan: Mapped[str] = mapped_column(String(200))
    kode_kabkota: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    cohort = relationship("Cohort")


class RosterImport(db.Model):
    """One upload of a roster file: its state, progress, and outcome."""

    __tablename__ = "roster_imports"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    #: Where a queued upload waits for the worker (deleted once imported).
    stored_path: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    #: Data lines read so far / in the file (the header is not counted).
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None] = mapped_column()
    error_count: Mapped[int] = mapped_column(default=0)
    #: {inserted, updated, unchanged, accounts_created, enrollments_created} once done.
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    #: A problem with the whole file (not UTF-8, empty, missing columns).
    file_error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the worker running this import last showed progress: its lease (``JOB_LEASE_SECONDS``). A ``running``
    #: import whose heartbeat is older belongs to a worker that died (``kill -9``); it is taken again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    cohort = relationship("Cohort")


class RosterImportRow(db.Model):
    """Staging: the rows of an import, checked here with set-based SQL before any roster row changes.

    Only ``(import_id, line)`` is indexed: it grows in file order, so loading costs little. The checks across
    rows join on ``nik_hash`` and ``email`` over the whole import (hash joins); indexes on those random keys made
    loading 300 000 rows several times slower and served no query.

    Like those indexes, a foreign key on ``import_id`` would cost a trigger call per loaded row (it roughly doubled
    the COPY of 300 000 rows) for no guarantee the code needs: only the import job writes its rows, after the job
    is committed, and deletes them itself. On PostgreSQL the table is ``UNLOGGED`` (migration 0016): no WAL for
    rows that live for one import. After a crash of the database server it comes back empty — an import then
    running fails and is started again; a failed job's list of bad rows is gone (the job keeps its
    ``error_count``; the admin uploads the file again)."""

    __tablename__ = "roster_import_rows"
    __table_args__ = (Index("ix_roster_import_rows_import_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The job (``roster_imports.id``); no foreign key, see above.
    import_id: Mapped[int] = mapped_column()
    #: Line number in the file (the header is line 1).
    line: Mapped[int] = mapped_column()
    nik_hash: Mapped[str | None] = mapped_column(String(64))
    #: Null for a bad row, and for a NIK already on the roster of the programme year (never encrypted again).
    nik_encrypted: Mapped[str | None] = mapped_column(Text)
    nama: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    npsn: Mapped[str | None] = mapped_column(String(8))
    satuan_pendidikan: Mapped[str | None] = mapped_column(String(200))
    kode_kabkota: Mapped[str | None] = mapped_column(String(4))
    #: Why the row is refused; null for a good row.
    error: Mapped[str | None] = mapped_column(Text)
