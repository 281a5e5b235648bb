"""JSON shapes of progress (SPEC §6), shared by the API and the dashboard's script."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app

from lms.cohorts.models import Enrollment
from lms.cohorts.services import WindowState, window_state
from lms.modules.progress import Progress
from lms.ukppg.services import registration_window


def registration_state(enrollment: Enrollment, progress: Progress, now: datetime) -> dict:
    """UKPPPG registration: eligible when complete; open in the registration window, which by default runs
    from completion until the end of the participant's learning window."""
    window = registration_window(enrollment)
    registration = enrollment.registration
    body = {"eligible": progress.complete, "open": progress.complete and window.open_at(now),
            "window_open": window.open_at(now), "registered": registration is not None,
            "opens_at": window.opens_at.isoformat() if window.opens_at else None,
            "closes_at": window.closes_at.isoformat(), "not_yet_open": bool(window.opens_at and now < window.opens_at)}
    if registration is not None:
        session = registration.session
        body["registration"] = {"number": registration.number, "session_id": session.id, "site": session.site.name,
                                "date": session.date.isoformat(), "start": session.start.strftime("%H:%M")}
    return body


def progress_json(enrollment: Enrollment, progress: Progress, now: datetime) -> dict:
    cohort = enrollment.cohort
    state = window_state(enrollment, now)
    step = progress.next_step(enrollment.last_materi_id)
    return {
        "cohort": {"code": cohort.code, "name": cohort.name, "learning_start": cohort.learning_start.isoformat(),
                   "learning_end": cohort.learning_end.isoformat(), "timezone": cohort.timezone,
                   "open": state is WindowState.OPEN, "window": state.value,
                   "closes_at": enrollment.closes_at().isoformat(),
                   "extended": enrollment.extended_until is not None},
        "status": enrollment.status,
        "percent": progress.percent,
        "complete": progress.complete,
        "modules": [{
            "id": m.id, "code": m.code, "title": m.title, "unlocked": m.unlocked, "complete": m.complete,
            "materi": [{"id": x.id, "title": x.title, "done": x.done, "minutes": x.minutes} for x in m.materi],
            "posttest": {"done": m.posttest_done, "attempts": m.attempts, "unlocked": m.posttest_unlocked,
                         "best_score": m.best_score, "max_score": m.max_score},
            "journal": {"done": m.journal_done, "status": m.journal_status, "unlocked": m.journal_unlocked},
        } for m in progress.modules],
        "next": {"kind": step.kind, "module_id": step.module_id, "materi_id": step.materi_id},
        "registration": registration_state(enrollment, progress, now),
    }


def progress_response(enrollment: Enrollment, progress: Progress, now: datetime) -> Response:
    """``GET /api/v1/me/progress`` as a prepared JSON response (the app's JSON provider, as ``jsonify``).

    The operation still declares ``schemas.Progress`` (validation and the OpenAPI document); returning a Response
    skips flask-smorest's dump, which costs several times the JSON encoding at 40 modules. ``progress_json`` emits
    exactly the declared fields, which ``tests/modules/test_query_counts.py`` checks against the schema's dump."""
    return current_app.json.response(progress_json(enrollment, progress, now))
