"""Selection runs and their entries (the determined list), removal proposals, and dinas regions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import UTCDateTime
from lms.extensions import db

ENTRY_STATUSES = ("ditetapkan", "cadangan", "tidak_memenuhi_syarat", "dihapus")
REMOVAL_REASONS = (
    "meninggal_dunia", "sakit_permanen", "pelanggaran_disiplin", "mutasi_jabatan_lain", "mutasi_kabkota_lain",
    "guru_tetap_kementerian_lain", "pensiun", "mengundurkan_diri", "sudah_bersertifikat", "dokumen_tidak_sesuai",
)


def name_key(nama: str) -> str:
    """A name as searched: case-folded, spaces collapsed (``Siti  NURhaliza`` -> ``siti nurhaliza``)."""
    return " ".join(nama.casefold().split())[:200]


class SelectionPool(db.Model):
    """A candidate pool imported once (``lms selection import``), checked whole, and run under any policy or
    quota after that (``lms selection run --pool-id``, or chosen on the penetapan page)."""

    __tablename__ = "selection_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the file: the stored copy is ``<UPLOAD_FOLDER>/pools/<sha256>.jsonl``; one pool per content.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: The name the file had when it was imported (shown to choose it).
    filename: Mapped[str] = mapped_column(String(200))
    candidates: Mapped[int] = mapped_column()
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SelectionRun(db.Model):
    __tablename__ = "selection_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(32))
    #: SHA-256 over the policy, the pool file, the quota file and the parameters: equal inputs, equal run.
    input_hash: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="running")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Malformed pool lines [{line, reasons}] when the run failed on its input.
    errors: Mapped[list] = mapped_column(JSON, default=list)
    #: Why the run failed on an unexpected error (its entries are deleted; a failed run is never published).
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: {policy id: the policy file's text} exactly as the run read it (served by the announcement).
    policy_files: Mapped[dict | None] = mapped_column(JSON)


class SelectionEntry(db.Model):
    __tablename__ = "selection_entries"
    __table_args__ = (
        # Not unique: duplicates in a pool are found with one GROUP BY and reported by line.
        Index("ix_selection_entries_run_nik", "run_id", "nik_hash"),
        CheckConstraint("status IN ('pending', 'ditetapkan', 'cadangan', 'tidak_memenuhi_syarat', 'dihapus')",
                        name="known_status"),
        Index("ix_selection_entries_run_group_key", "run_id", "quota_group", "sort_key", "line"),
        Index("ix_selection_entries_run_kabkota", "run_id", "kode_kabkota"),
        # The published list's order (quota group, rank, line): a keyset page starts here, not after a sort.
        Index("ix_selection_entries_run_group_rank", "run_id", "quota_group", "rank", "line"),
        # The announcement's name search, a prefix of ``nama_key``: text_pattern_ops lets PostgreSQL use the
        # index for LIKE 'prefix%' whatever the database's collation.
        Index("ix_selection_entries_run_nama_key", "run_id", "nama_key",
              postgresql_ops={"nama_key": "text_pattern_ops"}),
        # A teacher's own determination by account e-mail (the dashboard's status line, the gate, the own page):
        # the candidate's few entries instead of every run's whole list.
        Index("ix_selection_entries_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("selection_runs.id", ondelete="CASCADE"))
    #: Line of the candidate in the pool file (the documented last tie-break).
    line: Mapped[int] = mapped_column()
    nik_hash: Mapped[str] = mapped_column(String(64))
    nik_encrypted: Mapped[str] = mapped_column(Text)
    nama: Mapped[str] = mapped_column(String(200))
    #: ``name_key(nama)``: what the announcement's name search matches a prefix of.
    nama_key: Mapped[str | None] = mapped_column(String(200))
    #: Stored in lower case (``candidate.parse_candidate``), as account e-mails are.
    email: Mapped[str] = mapped_column(String(254))
    npsn: Mapped[str] = mapped_column(String(8), default="")
    satuan_pendidikan: Mapped[str] = mapped_column(String(200), default="")
    kode_kabkota: Mapped[str] = mapped_column(String(4))
    #: The quota the candidate competes in: a kab/kota (2016) or a province (2024).
    quota_group: Mapped[str] = mapped_column(String(4))
    #: The policy's priority keys encoded so that ascending order is priority order.
    sort_key: Mapped[str] = mapped_column(String(120), default="")
    #: Rank within the quota group among eligible candidates (null for ineligible ones).
    rank: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(24), default="pending")
    #: Why: unmet requirements, or the removal.
    alasan: Mapped[str] = mapped_column(Text, default="")
    #: The status the candidate was last told in a personal notice (None: never); a notice is queued only
    #: by the conditional UPDATE that moves this to the current status, so never twice for one status.
    notified_status: Mapped[str | None] = mapped_column(String(24))


class SelectionQuota(db.Model):
    __tablename__ = "selection_quotas"

    run_id: Mapped[int] = mapped_column(ForeignKey("selection_runs.id", ondelete="CASCADE"), primary_key=True)
    quota_group: Mapped[str] = mapped_column(String(4), primary_key=True)
    quota: Mapped[int] = mapped_column()
    eligible: Mapped[int] = mapped_column(default=0)


class RemovalProposal(db.Model):
    __tablename__ = "removal_proposals"
    __table_args__ = (
        CheckConstraint("status IN ('diajukan', 'disetujui', 'ditolak')", name="known_status"),
        Index("ix_removal_proposals_entry_pending", "entry_id", unique=True,
              postgresql_where=text("status = 'diajukan'"), sqlite_where=text("status = 'diajukan'")),
        # The proposals list, newest first (keyset pages).
        Index("ix_removal_proposals_proposed_id", "proposed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("selection_entries.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="diajukan")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    #: The cadangan promoted to ditetapkan on approval.
    promoted_entry_id: Mapped[int | None] = mapped_column(ForeignKey("selection_entries.id", ondelete="SET NULL"))

    entry: Mapped[SelectionEntry] = relationship(foreign_keys=[entry_id])


class DinasRegion(db.Model):
    """The kab/kota a dinas user acts for (removal proposals only there)."""

    __tablename__ = "dinas_regions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kode_kabkota: Mapped[str] = mapped_column(String(4), primary_key=True)
