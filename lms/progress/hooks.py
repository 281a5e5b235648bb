"""The read model's subscriptions to the domain events (``lms.core.events``), installed by the app factory: the
lower packages announce what changed, and the summary rows change in the same transaction."""

from __future__ import annotations

from flask import Flask

from lms.core.events import subscribe
from lms.learning.services import install_activity
from lms.progress import summary


def _materi(enrollment, materi, now) -> None:
    summary.record_activity(enrollment.id, now=now, materi=1)


def _attempting(enrollment, module, now) -> None:
    summary.lock_row(enrollment.id, now=now)


def _attempted(enrollment, module, attempt, now) -> None:
    summary.count_first_attempt(enrollment.id, module.id)


def _journal(enrollment, module_id, entry, submitted, activity_recorded, now) -> None:
    if activity_recorded and not submitted:
        return  # the save's own statement carried ``summary.ACTIVITY`` (lms.learning.install_activity)
    summary.record_activity(enrollment.id, now=now, journals=int(submitted))


def install(app: Flask) -> None:
    install_activity(app, summary.ACTIVITY)
    for name, handler in (("materi.newly_done", _materi), ("posttest.attempting", _attempting),
                          ("posttest.attempted", _attempted), ("journal.saved", _journal),
                          ("enrollment.created", summary.add_enrollment),
                          ("cohort.enrollments_created", summary.add_cohort_enrollments),
                          ("cohort.enrollments_moved", summary.copy_place),
                          ("cohort.curriculum_changed", summary.retotal_cohort),
                          ("curriculum.changed", summary.retotal_curriculum)):
        subscribe(app, name, handler)
