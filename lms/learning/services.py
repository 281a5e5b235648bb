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


def install_progress(app: Flask, compute: Callable[[Enrollment], Any]) -> None:
    app.extensions[PROGRESS] = compute


#: The key, in ``app.extensions``, of ``prompts(enrollment, module) -> [prompt] | None``: a module's journal prompts
#: (id, text, min_length) from the per-process curriculum structure (``lms.modules.cache``), None when not cached.
PROMPTS = "lms.cached_prompts"


def install_prompts(app: Flask, prompts: Callable[[Enrollment, Any], list | None]) -> None:
    app.extensions[PROMPTS] = prompts


def cached_prompts(enrollment: Enrollment, module) -> list | None:
    lookup = current_app.extensions.get(PROMPTS)
    return lookup(enrollment, module) if lookup else None


def progress_of(enrollment: Enrollment):
    """The participant's progress (``lms.modules.progress.Progress``), from the read model the app installed."""
    return current_app.extensions[PROGRESS](enrollment)


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
