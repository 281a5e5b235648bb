"""A participant's progress through the curriculum, computed in two SQL statements whatever its size.

Statement 1: every module's materi, with whether this enrollment has done each (one LEFT JOIN).
Statement 2: every module's post-test attempt count and journal status (correlated subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import Materi, MateriProgress, Module
from lms.posttest.models import Attempt


@dataclass
class MateriState:
    id: int
    title: str
    minutes: int
    done: bool


@dataclass
class ModuleState:
    id: int
    code: str
    title: str
    position: int
    materi: list[MateriState] = field(default_factory=list)
    attempts: int = 0
    best_score: int | None = None
    max_score: int | None = None
    journal_status: str = "empty"
    unlocked: bool = True

    @property
    def materi_done(self) -> bool:
        return all(m.done for m in self.materi)

    @property
    def posttest_done(self) -> bool:
        return self.attempts > 0

    @property
    def journal_done(self) -> bool:
        return self.journal_status == "submitted"

    @property
    def posttest_unlocked(self) -> bool:
        return self.unlocked and self.materi_done

    @property
    def journal_unlocked(self) -> bool:
        return self.posttest_unlocked and self.posttest_done

    @property
    def complete(self) -> bool:
        return self.materi_done and self.posttest_done and self.journal_done

    @property
    def parts_total(self) -> int:
        return len(self.materi) + 2

    @property
    def parts_done(self) -> int:
        return sum(m.done for m in self.materi) + self.posttest_done + self.journal_done


@dataclass
class NextStep:
    kind: str  # materi | posttest | journal | register | done
    module_id: int | None = None
    materi_id: int | None = None
    title: str = ""


@dataclass
class Progress:
    modules: list[ModuleState]

    @property
    def parts_total(self) -> int:
        return sum(m.parts_total for m in self.modules)

    @property
    def parts_done(self) -> int:
        return sum(m.parts_done for m in self.modules)

    @property
    def percent(self) -> int:
        total = self.parts_total
        return int(100 * self.parts_done / total) if total else 0

    @property
    def complete(self) -> bool:
        return bool(self.modules) and all(m.complete for m in self.modules)

    def module(self, module_id: int) -> ModuleState | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def next_step(self, resume_materi_id: int | None = None) -> NextStep:
        """The first thing not done, in curriculum order; an unfinished resumed materi comes first."""
        for module in self.modules:
            for materi in module.materi:
                if materi.id == resume_materi_id and not materi.done and module.unlocked:
                    return NextStep("materi", module.id, materi.id, materi.title)
        for module in self.modules:
            if not module.unlocked or module.complete:
                continue
            pending = next((m for m in module.materi if not m.done), None)
            if pending:
                return NextStep("materi", module.id, pending.id, pending.title)
            if not module.posttest_done:
                return NextStep("posttest", module.id, title=module.title)
            return NextStep("journal", module.id, title=module.title)
        return NextStep("done")


def compute_progress(enrollment: Enrollment) -> Progress:
    curriculum = enrollment.cohort.curriculum
    if curriculum is None:
        return Progress([])
    rows = db.session.execute(
        select(Module.id, Module.code, Module.title, Module.position, Materi.id, Materi.title, Materi.minutes,
               MateriProgress.done_at)
        .outerjoin(Materi, Materi.module_id == Module.id)
        .outerjoin(MateriProgress, and_(MateriProgress.materi_id == Materi.id,
                                        MateriProgress.enrollment_id == enrollment.id))
        .where(Module.curriculum_id == curriculum.id)
        .order_by(Module.position, Materi.position)
    ).all()
    modules: dict[int, ModuleState] = {}
    for module_id, code, title, position, materi_id, materi_title, minutes, done_at in rows:
        state = modules.setdefault(module_id, ModuleState(module_id, code, title, position))
        if materi_id is not None:
            state.materi.append(MateriState(materi_id, materi_title, minutes, done_at is not None))

    attempts = (select(func.count(Attempt.id)).where(Attempt.module_id == Module.id,
                                                     Attempt.enrollment_id == enrollment.id).scalar_subquery())
    best = (select(func.max(Attempt.score)).where(Attempt.module_id == Module.id,
                                                  Attempt.enrollment_id == enrollment.id).scalar_subquery())
    best_max = (select(func.max(Attempt.max_score)).where(Attempt.module_id == Module.id,
                                                          Attempt.enrollment_id == enrollment.id).scalar_subquery())
    journal = (select(JournalEntry.status).where(JournalEntry.module_id == Module.id,
                                                 JournalEntry.enrollment_id == enrollment.id).scalar_subquery())
    for module_id, count, score, max_score, status in db.session.execute(
        select(Module.id, attempts, best, best_max, journal).where(Module.curriculum_id == curriculum.id)
    ):
        state = modules[module_id]
        state.attempts, state.best_score, state.max_score = count, score, max_score
        state.journal_status = status or "empty"

    ordered = list(modules.values())
    if curriculum.sequential:
        previous_complete = True
        for state in ordered:
            state.unlocked = previous_complete
            previous_complete = previous_complete and state.complete
    return Progress(ordered)
