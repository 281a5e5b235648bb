"""Domain events: a lower package announces what happened; a package above it subscribes in the app factory.

Handlers run inside the announcing service, in the same transaction, so whatever they write (an xAPI statement
in the outbox, a credential) commits or rolls back with the event itself. With no subscriber an event costs
nothing (no SQL).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

#: The key, in ``app.extensions``, of ``{event name: [handler(**data)]}``.
EVENTS = "lms.events"

#: The events that services announce, and the keyword arguments their handlers receive.
KNOWN = {
    "materi.completed": ("enrollment", "materi", "now"),
    "posttest.attempted": ("enrollment", "module", "attempt", "now"),
    "journal.submitted": ("enrollment", "module", "entry", "now"),
    "progress.recorded": ("enrollment", "progress", "now"),
    "enrollment.completed": ("enrollment", "progress", "now"),
    "ukppg.registered": ("enrollment", "registration", "now"),
    # Progress counts (kept by ``lms.progress`` in the same transaction): a materi newly done (not a repeat); a
    # post-test attempt about to be written; a journal saved (``submitted``: this save submitted it first;
    # ``activity_recorded``: its statement already recorded the activity in the read model);
    # enrollments created (one, or a cohort's set-based); a cohort's enrollments moved to another kab/kota by the
    # roster; a cohort given another curriculum; a curriculum's modules or materi changed.
    "materi.newly_done": ("enrollment", "materi", "now"),
    "posttest.attempting": ("enrollment", "module", "now"),
    "journal.saved": ("enrollment", "module_id", "entry", "submitted", "activity_recorded", "now"),
    "enrollment.created": ("enrollment",),
    "cohort.enrollments_created": ("cohort_id",),
    "cohort.enrollments_moved": ("cohort_id",),
    "cohort.curriculum_changed": ("cohort_id",),
    "curriculum.changed": ("curriculum_id",),
    "ukppg.cancelled": ("enrollment", "registration", "now"),
}


def subscribe(app: Flask, name: str, handler: Callable[..., None]) -> None:
    if name not in KNOWN:
        raise ValueError(f"unknown event: {name}")
    app.extensions.setdefault(EVENTS, {}).setdefault(name, []).append(handler)


def emit(name: str, **data) -> None:
    for handler in current_app.extensions.get(EVENTS, {}).get(name, ()):
        handler(**data)
