"""What the teacher's dashboard shows, worked out once per view from the domains' services.

The page used to ask the progress object for each module's state as it went: a dozen property reads per module
(each recounting the module's materi), a ``selectattr`` over the materi, a ``rejectattr`` over the modules. Here each
module becomes a row of plain values and the page-wide figures are computed once; the template only prints them.

The participant's own rows and the account's determination status (the headline under the modules) come in one
statement: the progress rows' arms (``lms.modules.progress.OWN_ROWS_ARMS``) and one more row holding the status
(``lms.selection.determination.LATEST_STATUS``), instead of a statement of its own for the headline.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, cast, literal_column, null, select, union_all

from lms.cohorts.models import Enrollment
from lms.cohorts.services import window_state
from lms.core.formatting import deadline_text, deadlines, display_locale, moment_text
from lms.core.prepared import Prepared
from lms.core.regions import WIB, timezone_for
from lms.extensions import db
from lms.modules.progress import OWN_ROWS_ARMS, ModuleState, Progress, compute_progress
from lms.modules.serialize import registration_state
from lms.selection.determination import LATEST_STATUS, email_key, headline_of
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


#: The row kind of the determination status, after the progress rows' kinds 0 to 2.
_STATUS = 3
#: The page's one statement of its own: the progress rows, then the status row (bound: ``enrollment_id``, ``email``).
_PAGE_ROWS = Prepared(union_all(*OWN_ROWS_ARMS, select(
    literal_column(str(_STATUS), Integer), cast(null(), Integer), literal_column("0", Integer), cast(null(), Integer),
    cast(null(), Integer), LATEST_STATUS)))


def dashboard_context(enrollment: Enrollment, *, email: str | None, now: datetime) -> dict:
    """The values ``dashboard/index.html`` renders for ``enrollment`` of the account with ``email`` at ``now``."""
    rows = _PAGE_ROWS.rows(db.session(), {"enrollment_id": enrollment.id, "email": email_key(email)})
    status = None
    for row in reversed(rows):  # the status row comes last in practice; its kind says which it is
        if row[0] == _STATUS:
            status = row[5]
            break
    progress: Progress = compute_progress(enrollment, rows)
    cohort = enrollment.cohort
    rows = [module_row(m) for m in progress.modules]
    window = registration_window(enrollment)
    locale = display_locale()  # once for the page's five dates
    return {
        "enrollment": enrollment, "cohort": cohort, "modules": rows,
        "percent": progress.percent, "complete": bool(rows) and all(r.complete for r in rows),
        "missing": ", ".join(r.title for r in rows if not r.complete),
        "state": window_state(enrollment, now).value, "next_step": progress.next_step(enrollment.last_materi_id),
        "deadlines": deadlines(enrollment.closes_at(), timezone_for(enrollment.kode_kabkota), locale),
        "opens_text": moment_text(cohort.learning_opens_at, cohort.timezone, locale),
        "registration": registration_state(enrollment, progress, now),
        "registration_closes": deadline_text(window.closes_at, WIB, locale),
        "registration_opens": moment_text(window.opens_at, WIB, locale) if window.opens_at else "",
        "headline": headline_of(status),
    }
