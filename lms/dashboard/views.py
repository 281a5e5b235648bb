"""The teacher's dashboard: cohort, timeline with countdown, each module's three parts, progress, next step."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from lms.cohorts.access import participant_required
from lms.cohorts.services import window_state
from lms.core.formatting import deadline_text, deadlines, moment_text
from lms.core.regions import WIB, timezone_for
from lms.core.time import now_utc
from lms.modules.progress import compute_progress
from lms.modules.serialize import registration_state
from lms.ukppg.services import registration_window

bp = Blueprint("dashboard", __name__, url_prefix="/sertifikasi")


@bp.get("/")
@participant_required
def index():
    now = now_utc()
    enrollment = g.enrollment
    progress = compute_progress(enrollment)
    cohort = enrollment.cohort
    registration = registration_state(enrollment, progress, now)
    window = registration_window(enrollment)
    return render_template(
        "dashboard/index.html", enrollment=enrollment, cohort=cohort, progress=progress,
        state=window_state(enrollment, now).value, next_step=progress.next_step(enrollment.last_materi_id),
        deadlines=deadlines(enrollment.closes_at(), timezone_for(enrollment.kode_kabkota)),
        opens_text=moment_text(cohort.learning_opens_at, cohort.timezone),
        registration=registration, now=now,
        registration_closes=deadline_text(window.closes_at, WIB),
        registration_opens=moment_text(window.opens_at, WIB) if window.opens_at else "",
    )

