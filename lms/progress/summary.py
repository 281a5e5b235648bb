"""Keeping ``progress_summary`` equal to the raw rows, in the transaction of every event that changes them.

The services announce their changes as domain events (``lms.core.events``); ``lms.progress.hooks`` calls these
from them, in the same transaction, right after the service's own write:

* a materi done, a post-test attempt, a journal save: ``record_activity`` (atomic increments, ``SET n = n + 1``;
  the caller passes what its own idempotent write actually changed: the rowcount of ``INSERT .. ON CONFLICT DO
  NOTHING``, the state a version-guarded UPDATE replaced), ``lock_row`` and ``count_first_attempt`` for
  post-tests, whose "first attempt of the module" two concurrent requests could both believe;
* an enrollment created (one, or set-based by the roster import): ``add_enrollment``, ``add_cohort_enrollments``;
  its kab/kota or school changed by the roster import: ``copy_place``;
* a curriculum edit or a cohort given another curriculum: ``retotal_curriculum``, ``retotal_cohort``, each one
  statement over every enrollment concerned.

A personal extension changes no count (the window's end is read from the enrollment), and re-pointing an
enrollment to another account keeps its id, so its row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, distinct, exists, func, insert, literal, or_, select, update

from lms.cohorts.models import Cohort, Enrollment
from lms.core.db import dialect_insert
from lms.core.prepared import flushed_connection
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.posttest.models import Attempt
from lms.progress.models import ProgressSummary

S = ProgressSummary
NO_SYNC = {"synchronize_session": False}


def curriculum_total(curriculum_id):
    """Parts of a curriculum (its materi, plus a post-test and a journal per module), as a scalar subquery."""
    return (select(func.count(Materi.id) + 2 * func.count(distinct(Module.id))).select_from(Module)
            .outerjoin(Materi, Materi.module_id == Module.id).where(Module.curriculum_id == curriculum_id)
            .scalar_subquery())


def cohort_total(cohort_id):
    """Parts of the curriculum of a cohort (0 without one), as a scalar subquery."""
    return (select(func.count(Materi.id) + 2 * func.count(distinct(Module.id))).select_from(Module)
            .outerjoin(Materi, Materi.module_id == Module.id)
            .join(Cohort, Cohort.curriculum_id == Module.curriculum_id).where(Cohort.id == cohort_id)
            .scalar_subquery())


def add_enrollment(enrollment: Enrollment) -> None:
    """The row of a new enrollment (nothing done yet); idempotent."""
    db.session.flush()
    db.session.execute(dialect_insert(db.session)(S).values(
        enrollment_id=enrollment.id, cohort_id=enrollment.cohort_id, kode_kabkota=enrollment.kode_kabkota,
        npsn=enrollment.npsn,
        parts_total=cohort_total(enrollment.cohort_id),
        parts_done=0, materi_done=0, posttests_done=0, journals_done=0).on_conflict_do_nothing())


def add_cohort_enrollments(cohort_id: int) -> int:
    """Rows for every enrollment of the cohort that has none (after a set-based creation): one statement."""
    missing = (select(Enrollment.id, Enrollment.cohort_id, Enrollment.kode_kabkota, Enrollment.npsn,
                      cohort_total(cohort_id),
                      literal(0), literal(0), literal(0), literal(0))
               .where(Enrollment.cohort_id == cohort_id, ~exists().where(S.enrollment_id == Enrollment.id)))
    return db.session.execute(insert(S).from_select(
        ["enrollment_id", "cohort_id", "kode_kabkota", "npsn", "parts_total", "parts_done", "materi_done",
         "posttests_done", "journals_done"], missing), execution_options=NO_SYNC).rowcount


def copy_place(cohort_id: int) -> None:
    """The roster import moved enrollments of the cohort to another kab/kota or school: their rows follow, one
    statement."""
    kode = select(Enrollment.kode_kabkota).where(Enrollment.id == S.enrollment_id).scalar_subquery()
    npsn = select(Enrollment.npsn).where(Enrollment.id == S.enrollment_id).scalar_subquery()
    db.session.execute(update(S).where(S.cohort_id == cohort_id,
                                       or_(S.kode_kabkota.is_distinct_from(kode), S.npsn.is_distinct_from(npsn)))
                       .values(kode_kabkota=kode, npsn=npsn), execution_options=NO_SYNC)


def retotal_cohort(cohort_id: int) -> None:
    """The cohort's curriculum changed: every row of the cohort gets the new total, in one statement."""
    db.session.execute(update(S).where(S.cohort_id == cohort_id).values(parts_total=cohort_total(cohort_id)),
                       execution_options=NO_SYNC)


def retotal_curriculum(curriculum_id: int) -> None:
    """The curriculum's modules or materi changed: every row of every cohort following it, in one statement."""
    cohorts = select(Cohort.id).where(Cohort.curriculum_id == curriculum_id)
    db.session.execute(update(S).where(S.cohort_id.in_(cohorts))
                       .values(parts_total=curriculum_total(curriculum_id)), execution_options=NO_SYNC)


def _later(at):
    return case((or_(S.last_activity_at.is_(None), S.last_activity_at < at), at), else_=S.last_activity_at)


_AT = bindparam("now", type_=S.last_activity_at.type)
#: The activity statements, built once: the last activity alone (a draft saved, a post-test about to be written),
#: and with counts added (``:materi``, ``:journals``).
ACTIVITY = _ACTIVITY = update(S.__table__).where(S.enrollment_id == bindparam("b_enrollment")).values(
    last_activity_at=_later(_AT))
_ACTIVITY_COUNTED = _ACTIVITY.values(
    materi_done=S.materi_done + bindparam("materi"), journals_done=S.journals_done + bindparam("journals"),
    parts_done=S.parts_done + bindparam("materi") + bindparam("journals"))


def record_activity(enrollment_id: int, *, now: datetime, materi: int = 0, journals: int = 0) -> None:
    """Activity at ``now``, adding ``materi`` materi and ``journals`` submitted journals done (0 or 1 each, as
    the caller's own write changed them): one UPDATE, which also locks the row until the transaction ends. A Core
    statement on the session's connection (it runs on every autosave); the session's pending changes first."""
    connection = flushed_connection(db.session())
    params = {"b_enrollment": enrollment_id, "now": now}
    if materi or journals:
        connection.execute(_ACTIVITY_COUNTED, {**params, "materi": materi, "journals": journals})
    else:
        connection.execute(_ACTIVITY, params)


def lock_row(enrollment_id: int, *, now: datetime) -> None:
    """Before a post-test attempt is written: note the activity and hold the row, so that two concurrent first
    attempts of a module are counted one after the other (``count_first_attempt`` then sees the other's)."""
    record_activity(enrollment_id, now=now)


def count_first_attempt(enrollment_id: int, module_id: int) -> None:
    """After the attempt is written (under ``lock_row``): one more module with a post-test done when it is the
    module's only attempt. A new statement, so it sees any attempt committed while this one waited for the row."""
    attempts = (select(func.count()).select_from(Attempt)
                .where(Attempt.enrollment_id == enrollment_id, Attempt.module_id == module_id).scalar_subquery())
    db.session.execute(update(S).where(S.enrollment_id == enrollment_id, attempts == 1)
                       .values(posttests_done=S.posttests_done + 1, parts_done=S.parts_done + 1),
                       execution_options=NO_SYNC)
