"""What this package does when the services below it announce an event (subscribed in ``install``)."""

from __future__ import annotations

from flask import Flask

from lms.core.events import subscribe
from lms.records import credentials, xapi
from lms.records.outbox import enabled, enqueue


def install(app: Flask) -> None:
    """Subscribe to the learning events. xAPI statements only when an endpoint is configured; the credential always."""
    subscribe(app, "enrollment.completed", on_enrollment_completed)
    if not app.config.get("XAPI_ENDPOINT"):
        return
    subscribe(app, "materi.completed", on_materi_completed)
    subscribe(app, "posttest.attempted", on_posttest_attempted)
    subscribe(app, "journal.submitted", on_journal_submitted)
    subscribe(app, "progress.recorded", on_progress_recorded)
    subscribe(app, "ukppg.registered", on_ukppg_registered)
    subscribe(app, "ukppg.cancelled", on_ukppg_cancelled)


def on_enrollment_completed(enrollment, progress, now) -> None:
    credentials.issue(enrollment, now=now)


def on_materi_completed(enrollment, materi, now) -> None:
    enqueue(enrollment.id, [xapi.materi_completed(enrollment, materi, materi.module, now)], now=now)


def on_posttest_attempted(enrollment, module, attempt, now) -> None:
    enqueue(enrollment.id, [xapi.posttest_attempted(enrollment, attempt.id, module, attempt.score, attempt.max_score,
                                                    now)], now=now)


def on_journal_submitted(enrollment, module, entry, now) -> None:
    enqueue(enrollment.id, [xapi.journal_submitted(enrollment, entry.id, module, now)], now=now)


def completion_items(enrollment, progress, now) -> list[tuple[str, dict]]:
    """Module and curriculum completions that ``progress`` shows (already written ones are skipped by key)."""
    items = [xapi.module_completed(enrollment, m.id, m, now) for m in progress.modules if m.complete]
    if progress.complete:
        items.append(xapi.curriculum_completed(enrollment, enrollment.completed_at or now))
    return items


def on_progress_recorded(enrollment, progress, now) -> None:
    if enabled():
        enqueue(enrollment.id, completion_items(enrollment, progress, now), now=now)


def on_ukppg_registered(enrollment, registration, now) -> None:
    session = registration.session
    enqueue(enrollment.id, [xapi.ukppg_registered(enrollment, registration, session.site.name, session.date, now)],
            now=now)


def on_ukppg_cancelled(enrollment, registration, now) -> None:
    session = registration.session
    enqueue(enrollment.id, [xapi.ukppg_cancelled(enrollment, registration.id, session.id, session.site.name,
                                                 session.date, now)], now=now)
