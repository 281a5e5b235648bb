"""What the teacher's dashboard shows, worked out once per view from the domains' services.

The page used to ask the progress object for each module's state as it went: a dozen property reads per module
(each recounting the module's materi), a ``selectattr`` over the materi, a ``rejectattr`` over the modules. Here each
module becomes a row of plain values and the page-wide figures are computed once; the template only prints them.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from lms.cohorts.models import Enrollment
from lms.cohorts.services import window_state
from lms.core.formatting import deadline_text, deadlines, moment_text
from lms.core.regions import WIB, timezone_for
from lms.modules.progress import ModuleState, Progress, compute_progress
from lms.modules.serialize import registration_state
from lms.ukppg.services import registration_window


class ModuleRow(NamedTuple):
    """One module as the dashboard lists it."""

    id: int
    title: str
    unlocked: bool
    complete: bool
    materi_done: bool
    #: Materi read, of ``materi_total``.
    materi_read: int
    materi_total: int
    posttest_done: bool
    best_score: int | None
    max_score: int | None
    journal_done: bool
    #: empty | draft | submitted
    journal_status: str


def module_row(module: ModuleState) -> ModuleRow:
    read = module.materi_done_count
    total = len(module.materi)
    posttest_done = module.attempts > 0
    journal_done = module.journal_status == "submitted"
    materi_done = read == total
    return ModuleRow(module.id, module.title, module.unlocked, materi_done and posttest_done and journal_done,
                     materi_done, read, total, posttest_done, module.best_score, module.max_score, journal_done,
                     module.journal_status)


def dashboard_context(enrollment: Enrollment, *, now: datetime) -> dict:
    """The values ``dashboard/index.html`` renders for ``enrollment`` at ``now``."""
    progress: Progress = compute_progress(enrollment)
    cohort = enrollment.cohort
    rows = [module_row(m) for m in progress.modules]
    window = registration_window(enrollment)
    return {
        "enrollment": enrollment, "cohort": cohort, "modules": rows,
        "percent": progress.percent, "complete": bool(rows) and all(r.complete for r in rows),
        "missing": ", ".join(r.title for r in rows if not r.complete),
        "state": window_state(enrollment, now).value, "next_step": progress.next_step(enrollment.last_materi_id),
        "deadlines": deadlines(enrollment.closes_at(), timezone_for(enrollment.kode_kabkota)),
        "opens_text": moment_text(cohort.learning_opens_at, cohort.timezone),
        "registration": registration_state(enrollment, progress, now),
        "registration_closes": deadline_text(window.closes_at, WIB),
        "registration_opens": moment_text(window.opens_at, WIB) if window.opens_at else "",
    }
