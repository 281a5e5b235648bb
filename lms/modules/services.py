"""Learning rules for modules and materi: what is unlocked, marking materi done, completion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.cohorts.errors import NotUnlocked
from lms.cohorts.models import Enrollment
from lms.cohorts.services import WindowState, require_open, window_state
from lms.core.db import dialect_insert
from lms.core.errors import NotFound
from lms.core.events import emit
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.learning.services import module_state, record_completion, require_readable
from lms.modules.models import MateriProgress
from lms.modules.progress import ModuleState, Progress, compute_progress


def get_materi(enrollment: Enrollment, materi_id: int) -> Materi:
    materi = db.session.get(Materi, materi_id)
    if materi is None or materi.module.curriculum_id != enrollment.cohort.curriculum_id:
        raise NotFound()
    return materi


def open_materi(enrollment: Enrollment, materi: Materi, *, now: datetime, remember: bool = True) -> ModuleState:
    """Reading a materi: check access and remember it, so that the participant resumes there (not when the page
    is only being stored for reading offline: ``remember=False``)."""
    require_readable(enrollment, now)
    state = module_state(compute_progress(enrollment), materi.module)
    if not state.unlocked:
        raise NotUnlocked()
    if remember and window_state(enrollment, now) is WindowState.OPEN and enrollment.last_materi_id != materi.id:
        enrollment.last_materi_id = materi.id
    return state


def complete_materi(enrollment: Enrollment, materi: Materi, *, now: datetime) -> Progress:
    """Mark a materi done (idempotent): the window must be open and its module unlocked."""
    require_open(enrollment, now)
    if not module_state(compute_progress(enrollment), materi.module).unlocked:
        raise NotUnlocked()
    insert = dialect_insert(db.session)
    inserted = db.session.execute(insert(MateriProgress).values(enrollment_id=enrollment.id, materi_id=materi.id,
                                                                done_at=now).on_conflict_do_nothing()
                                  .returning(MateriProgress.materi_id)).first()
    if inserted is not None:  # a repeated click (even a concurrent one) inserts nothing, so counts nothing
        emit("materi.newly_done", enrollment=enrollment, materi=materi, now=now)
    enrollment.last_materi_id = materi.id
    emit("materi.completed", enrollment=enrollment, materi=materi, now=now)  # subscribers dedupe a repeat
    return record_completion(enrollment, now=now)


def next_materi_id(module: Module, materi: Materi) -> int | None:
    return db.session.scalar(select(Materi.id).where(Materi.module_id == module.id, Materi.position > materi.position)
                             .order_by(Materi.position).limit(1))
