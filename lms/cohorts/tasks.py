"""Celery tasks of the cohorts domain: thin, idempotent, ids as arguments, one service call each."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from lms.cohorts import enforcement, reminders
from lms.cohorts.roster import import_stored_file, stalled_imports
from lms.core.time import now_utc
from lms.extensions import db


@shared_task(name="cohorts.enforce_windows")
def enforce_windows() -> dict:
    result = enforcement.enforce_windows(now=now_utc())
    db.session.commit()
    current_app.logger.info("windows enforced: %s", result.as_dict())
    return result.as_dict()


@shared_task(name="cohorts.send_reminders")
def send_reminders() -> dict:
    counts = reminders.send_reminders(now=now_utc())
    db.session.commit()
    return counts


@shared_task(name="cohorts.import_roster")
def import_roster(import_id: int) -> str | None:
    job = import_stored_file(import_id, now=now_utc())
    return job.status if job is not None else None


@shared_task(name="cohorts.retake_stalled_imports")
def retake_stalled_imports() -> list[int]:
    """Deliver again the roster imports whose worker died (no heartbeat within the lease) or whose message was lost
    (a Redis restart without persistence); the import task claims the job, so a live run is never doubled."""
    job_ids = stalled_imports(now=now_utc())
    for job_id in job_ids:
        import_roster.delay(job_id)
    return job_ids
