"""The read model recomputed from the raw rows, set-based: ``rebuild`` writes it, ``differences`` checks it.

The live computation is the one the reports made before the read model existed: materi done rows, modules with a
submitted post-test attempt, submitted journals, and the latest of their instants (a journal's last save).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, literal, or_, select, type_coerce, union_all

from lms.cohorts.models import Cohort, Enrollment
from lms.core.db import UTCDateTime, dialect_insert
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt
from lms.progress.models import ProgressSummary

S = ProgressSummary
COLUMNS = ("cohort_id", "kode_kabkota", "npsn", "parts_total", "parts_done", "materi_done", "posttests_done",
           "journals_done", "last_activity_at")


def live(cohort_id: int | None = None):
    """Per enrollment (of ``cohort_id``, or all): every summary column computed from the raw rows (a subquery
    with ``enrollment_id`` and ``COLUMNS``)."""
    scope = [Enrollment.cohort_id == cohort_id] if cohort_id is not None else []

    def grouped(eid, *columns, where=()):
        query = select(eid.label("eid"), *columns)
        if scope:  # one cohort's rows: through its enrollments
            query = query.join(Enrollment, Enrollment.id == eid)
        return query.where(*scope, *where).group_by(eid).subquery()

    materi = grouped(MateriProgress.enrollment_id, func.count().label("n"), func.max(MateriProgress.done_at)
                     .label("at"))
    tests = grouped(Attempt.enrollment_id, func.count(distinct(Attempt.module_id)).label("n"),
                    func.max(Attempt.submitted_at).label("at"))
    journals = grouped(JournalEntry.enrollment_id, func.count().label("n"),
                       where=[JournalEntry.status == "submitted"])
    saved = grouped(JournalEntry.enrollment_id, func.max(JournalEntry.updated_at).label("at"))
    instants = union_all(select(materi.c.eid, materi.c.at), select(tests.c.eid, tests.c.at),
                         select(saved.c.eid, saved.c.at)).subquery()
    last = (select(instants.c.eid, type_coerce(func.max(instants.c.at), UTCDateTime()).label("at"))
            .group_by(instants.c.eid).subquery())
    totals = (select(Cohort.id.label("cohort_id"),
                     (func.count(Materi.id) + 2 * func.count(distinct(Module.id))).label("n"))
              .select_from(Cohort).join(Module, Module.curriculum_id == Cohort.curriculum_id)
              .outerjoin(Materi, Materi.module_id == Module.id)
              .where(*([Cohort.id == cohort_id] if cohort_id is not None else [])).group_by(Cohort.id).subquery())
    m, t, j = (func.coalesce(sub.c.n, 0) for sub in (materi, tests, journals))
    return (select(Enrollment.id.label("enrollment_id"), Enrollment.cohort_id.label("cohort_id"),
                   Enrollment.kode_kabkota.label("kode_kabkota"), Enrollment.npsn.label("npsn"),
                   func.coalesce(totals.c.n, 0).label("parts_total"), (m + t + j).label("parts_done"),
                   m.label("materi_done"), t.label("posttests_done"), j.label("journals_done"),
                   last.c.at.label("last_activity_at"))
            .select_from(Enrollment).outerjoin(totals, totals.c.cohort_id == Enrollment.cohort_id)
            .outerjoin(materi, materi.c.eid == Enrollment.id).outerjoin(tests, tests.c.eid == Enrollment.id)
            .outerjoin(journals, journals.c.eid == Enrollment.id).outerjoin(last, last.c.eid == Enrollment.id)
            .where(*scope, literal(True)))  # a WHERE: SQLite then reads ON CONFLICT as the upsert's


def rebuild(cohort_id: int | None = None) -> int:
    """Recompute every row (of ``cohort_id``, or all) from the raw rows: one INSERT .. ON CONFLICT DO UPDATE.
    Returns the number of rows written."""
    insert = dialect_insert(db.session)
    source = live(cohort_id).subquery()
    statement = insert(S).from_select(["enrollment_id", *COLUMNS],
                                      select(source).where(literal(True)))
    statement = statement.on_conflict_do_update(
        index_elements=["enrollment_id"], set_={c: getattr(statement.excluded, c) for c in COLUMNS})
    return db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount


@dataclass
class Difference:
    enrollment_id: int
    #: {column: (in the read model, computed from the raw rows)}; ``missing`` when the read model has no row.
    columns: dict[str, tuple]


def differences(cohort_id: int | None = None) -> list[Difference]:
    """Every enrollment (of ``cohort_id``, or all) whose read-model row differs from the raw rows, or has none."""
    truth = live(cohort_id).subquery()
    differs = [getattr(S, c).is_distinct_from(getattr(truth.c, c)) for c in COLUMNS]
    query = (select(truth, *(getattr(S, c).label(f"kept_{c}") for c in COLUMNS), S.enrollment_id.label("kept"))
             .outerjoin(S, S.enrollment_id == truth.c.enrollment_id)
             .where(or_(S.enrollment_id.is_(None), *differs)).order_by(truth.c.enrollment_id))
    found = []
    for row in db.session.execute(query).mappings():
        if row["kept"] is None:
            found.append(Difference(row["enrollment_id"], {"missing": (None, True)}))
            continue
        found.append(Difference(row["enrollment_id"], {
            c: (_plain(row[f"kept_{c}"]), _plain(row[c])) for c in COLUMNS
            if _plain(row[f"kept_{c}"]) != _plain(row[c])}))
    return [d for d in found if d.columns]


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value

