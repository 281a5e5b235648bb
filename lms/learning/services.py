"""A module of the participant's curriculum, when it may be read, its unlock state and completion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from lms.cohorts.errors import WindowNotOpen
from lms.cohorts.models import Enrollment
from lms.cohorts.services import WindowState, window_state
from lms.core.errors import NotFound
from lms.core.events import emit
from lms.curriculum.models import Module
from lms.extensions import db

#: The key, in ``app.extensions``, of ``compute_progress(enrollment) -> Progress`` (``lms.modules.progress``).
PROGRESS = "lms.progress"
#: The key of ``journal_gate(enrollment, module_id) -> JournalGate | None`` (``lms.modules.gate``).
JOURNAL_GATE = "lms.journal_gate"
#: The key of the read model's statement that records a participant's activity (``lms.progress.summary.ACTIVITY``).
ACTIVITY = "lms.activity_statement"


def install_progress(app: Flask, compute: Callable[[Enrollment], Any],
                     journal_gate: Callable[[Enrollment, int], Any] | None = None) -> None:
    app.extensions[PROGRESS] = compute
    if journal_gate is not None:
        app.extensions[JOURNAL_GATE] = journal_gate


def progress_of(enrollment: Enrollment):
    """The participant's progress (``lms.modules.progress.Progress``), from the read model the app installed."""
    return current_app.extensions[PROGRESS](enrollment)


def install_activity(app: Flask, statement) -> None:
    """The read model's ``UPDATE`` that records activity at ``:now`` for the enrollment ``:b_enrollment``: a write
    on PostgreSQL may carry it as a CTE of its own statement (the draft autosave) instead of a second statement."""
    app.extensions[ACTIVITY] = statement


def activity_statement():
    """The installed activity statement, or None (no read model)."""
    return current_app.extensions.get(ACTIVITY)


def journal_gate(enrollment: Enrollment, module_id: int):
    """The module's journal gate (``lms.modules.gate.JournalGate``: its prompts, and its unlock rule as a SQL
    condition), from the cached curriculum structure; None when the module is not in the participant's curriculum."""
    return current_app.extensions[JOURNAL_GATE](enrollment, module_id)


def get_module(enrollment: Enrollment, module_id: int) -> Module:
    """A module of the participant's curriculum; anything else is 404."""
    module = db.session.get(Module, module_id)
    if module is None or module.curriculum_id != enrollment.cohort.curriculum_id:
        raise NotFound()
    return module


def module_state(progress, module: Module):
    """The module's ``ModuleState`` in ``progress``; a module outside it is 404."""
    state = progress.module(module.id)
    if state is None:
        raise NotFound()
    return state


def require_readable(enrollment: Enrollment, now: datetime) -> None:
    """Materi can be read while the window is open and after it closes, never before it opens."""
    if window_state(enrollment, now) is WindowState.BEFORE:
        raise WindowNotOpen()


def record_completion(enrollment: Enrollment, *, now: datetime):
    """Recompute progress after a change; note the moment everything was first complete."""
    db.session.flush()
    progress = progress_of(enrollment)
    if progress.complete and enrollment.completed_at is None:
        enrollment.completed_at = now
        emit("enrollment.completed", enrollment=enrollment, progress=progress, now=now)
    emit("progress.recorded", enrollment=enrollment, progress=progress, now=now)
    return progress
