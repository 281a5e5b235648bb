"""``lms xapi backfill --cohort CODE``: the statements of a cohort's past events, written to the outbox.

Each statement has the key of the event it records, so running the backfill again (or after the live events
wrote some of them) adds nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.cohorts.models import Cohort, Enrollment
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.modules.progress import compute_progress
from lms.posttest.models import Attempt
from lms.records import xapi
from lms.records.outbox import enqueue
from lms.ukppg.models import ExamSession, Registration


def _by_enrollment(rows) -> dict[int, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.enrollment_id].append(row)
    return grouped


def backfill_cohort(cohort: Cohort, *, now: datetime) -> int:
    """Write the statements of every participant of ``cohort``; returns how many were new."""
    enrollments = list(db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)
                                          .options(joinedload(Enrollment.cohort)).order_by(Enrollment.id)))
    ids = [e.id for e in enrollments]
    if not ids:
        return 0
    modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.curriculum_id == cohort.curriculum_id))}
    materi = {m.id: m for m in db.session.scalars(select(Materi).where(Materi.module_id.in_(list(modules))))}
    done = _by_enrollment(db.session.scalars(select(MateriProgress).where(MateriProgress.enrollment_id.in_(ids))))
    attempts = _by_enrollment(db.session.scalars(select(Attempt).where(Attempt.enrollment_id.in_(ids))
                                                 .order_by(Attempt.id)))
    journals = _by_enrollment(db.session.scalars(select(JournalEntry).where(JournalEntry.enrollment_id.in_(ids),
                                                                            JournalEntry.submitted_at.is_not(None))))
    registrations = _by_enrollment(db.session.scalars(
        select(Registration).where(Registration.enrollment_id.in_(ids))
        .options(joinedload(Registration.session).joinedload(ExamSession.site))))
    written = 0
    for enrollment in enrollments:
        items = _participant_items(enrollment, modules, materi, done[enrollment.id], attempts[enrollment.id],
                                   journals[enrollment.id], registrations[enrollment.id])
        written += enqueue(enrollment.id, items, now=now)
    return written


def _participant_items(enrollment, modules, materi, done, attempts, journals, registrations) -> list:
    items = []
    finished: dict[int, list[datetime]] = defaultdict(list)  # module -> moments of its parts
    for row in done:
        unit = materi.get(row.materi_id)
        if unit is None:
            continue
        module = modules[unit.module_id]
        items.append(xapi.materi_completed(enrollment, unit, module, row.done_at))
        finished[module.id].append(row.done_at)
    first_attempt: dict[int, datetime] = {}
    for attempt in attempts:
        module = modules.get(attempt.module_id)
        if module is None:
            continue
        items.append(xapi.posttest_attempted(enrollment, attempt.id, module, attempt.score, attempt.max_score,
                                             attempt.submitted_at))
        first_attempt.setdefault(module.id, attempt.submitted_at)
    for entry in journals:
        module = modules.get(entry.module_id)
        if module is None:
            continue
        items.append(xapi.journal_submitted(enrollment, entry.id, module, entry.submitted_at))
        finished[module.id].append(entry.submitted_at)
    progress = compute_progress(enrollment)
    for state in progress.modules:
        if state.complete:
            moments = finished[state.id] + ([first_attempt[state.id]] if state.id in first_attempt else [])
            items.append(xapi.module_completed(enrollment, state.id, state, max(moments)))
    if progress.complete and enrollment.completed_at is not None:
        items.append(xapi.curriculum_completed(enrollment, enrollment.completed_at))
    for registration in registrations:
        session = registration.session
        items.append(xapi.ukppg_registered(enrollment, registration, session.site.name, session.date,
                                           registration.created_at))
        if registration.cancelled_at is not None:
            items.append(xapi.ukppg_cancelled(enrollment, registration.id, session.id, session.site.name,
                                              session.date, registration.cancelled_at))
    return items
