"""One row per enrollment: its parts done and total and its last activity, as the reports read them.

The truth stays in the raw rows (materi done, post-test attempts, journal entries) and the cohort's curriculum;
``lms.progress.summary`` keeps this row equal to them in the transaction of every change, and
``lms.progress.rebuild`` recomputes or checks it from them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db


class ProgressSummary(db.Model):
    __tablename__ = "progress_summary"
    __table_args__ = (
        # The grouped reports and the at-risk list's first filter read a cohort's rows from this index alone.
        Index("ix_progress_summary_cohort_kabkota", "cohort_id", "kode_kabkota",
              postgresql_include=["parts_done", "last_activity_at"]),
        # The report by school sums parts done per NPSN from this index alone.
        Index("ix_progress_summary_cohort_npsn", "cohort_id", "npsn", postgresql_include=["parts_done"]),
    )

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    #: The enrollment's cohort (never changes): a curriculum edit re-totals its cohorts' rows by it.
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    #: The enrollment's kab/kota (copied with it: at enrollment, by the roster import), to group by region.
    kode_kabkota: Mapped[str | None] = mapped_column(String(4))
    #: The enrollment's school (copied with it, as the kab/kota), to group by school.
    npsn: Mapped[str | None] = mapped_column(String(8))
    #: Materi of the cohort's curriculum plus two per module (post-test and journal).
    parts_total: Mapped[int] = mapped_column(default=0)
    #: ``materi_done + posttests_done + journals_done``.
    parts_done: Mapped[int] = mapped_column(default=0)
    materi_done: Mapped[int] = mapped_column(default=0)
    #: Modules with at least one submitted post-test attempt.
    posttests_done: Mapped[int] = mapped_column(default=0)
    #: Journal entries submitted.
    journals_done: Mapped[int] = mapped_column(default=0)
    #: The latest of: a materi done, a post-test submitted, a journal saved.
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
