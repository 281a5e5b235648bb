"""A participant's progress through the curriculum, in one SQL statement whatever its size.

The curriculum's structure (modules, materi) comes from the per-process cache (``lms.modules.cache``); the statement
reads only the participant's own rows: materi done, post-test attempts and journal status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Integer, String, bindparam, cast, func, literal_column, null, select, union_all

from lms.cohorts.models import Enrollment
from lms.core.prepared import Prepared
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.cache import curriculum_structure
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt


def _int(value: int):
    return literal_column(str(value), Integer)


_NO_INT = cast(null(), Integer)
_NO_TEXT = cast(null(), String)


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
    #: The journal's prompts, from the cached curriculum structure (``lms.modules.cache.PromptInfo``).
    prompts: tuple = ()

    # The materi and their ``done`` are fixed once the state is built (``compute_progress``): counted once.
    @cached_property
    def materi_done_count(self) -> int:
        return sum(m.done for m in self.materi)

    @property
    def materi_done(self) -> bool:
        return self.materi_done_count == len(self.materi)

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
        return self.materi_done_count + self.posttest_done + self.journal_done


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


#: The participant's own rows, in one statement: materi done (kind 0, materi id), post-test attempts per module
#: (kind 1, module id, count, best score, its maximum) and journal status per module (kind 2, module id, status).
#: Its arms are public so that a page needing one more value in the same round trip adds an arm of its own (the
#: dashboard's determination headline, kind 3) and passes the rows to ``compute_progress``, which reads kinds 0 to 2.
OWN_ROWS_ARMS = (
    select(_int(0), MateriProgress.materi_id, _int(0), _NO_INT, _NO_INT, _NO_TEXT)
    .where(MateriProgress.enrollment_id == bindparam("enrollment_id")),
    select(_int(1), Attempt.module_id, func.count(Attempt.id), func.max(Attempt.score), func.max(Attempt.max_score),
           _NO_TEXT)
    .where(Attempt.enrollment_id == bindparam("enrollment_id")).group_by(Attempt.module_id),
    select(_int(2), JournalEntry.module_id, _int(0), _NO_INT, _NO_INT, JournalEntry.status)
    .where(JournalEntry.enrollment_id == bindparam("enrollment_id")),
)
_OWN_ROWS = Prepared(union_all(*OWN_ROWS_ARMS))


def compute_progress(enrollment: Enrollment, rows: list | None = None) -> Progress:
    """The participant's progress: the curriculum's structure from the per-process cache (``lms.modules.cache``),
    keyed by the version loaded with the enrollment's cohort, and the participant's own rows in one statement
    (``rows``: those rows already fetched by a statement that has the arms of ``OWN_ROWS_ARMS`` among its own)."""
    curriculum_id = enrollment.cohort.curriculum_id
    if curriculum_id is None:
        return Progress([])
    structure = curriculum_structure(curriculum_id, enrollment.cohort.curriculum.version)
    if structure is None:
        return Progress([])
    if rows is None:
        # On the driver's cursor (``lms.core.prepared``): the ORM execution path would add about as much CPU as the
        # statement itself. The session's pending changes are flushed first, as the ORM path would have done.
        rows = _OWN_ROWS.rows(db.session(), {"enrollment_id": enrollment.id})
    done: set[int] = set()
    attempts: dict[int, tuple[int, int | None, int | None]] = {}
    journals: dict[int, str] = {}
    for kind, ref, count, best, best_max, status in rows:
        if kind == 0:
            done.add(ref)
        elif kind == 1:
            attempts[ref] = (count, best, best_max)
        elif kind == 2:
            journals[ref] = status
    ordered = []
    for info in structure.modules:
        state = ModuleState(info.id, info.code, info.title, info.position,
                            [MateriState(m.id, m.title, m.minutes, m.id in done) for m in info.materi],
                            prompts=info.prompts)
        if info.id in attempts:
            state.attempts, state.best_score, state.max_score = attempts[info.id]
        state.journal_status = journals.get(info.id) or "empty"
        ordered.append(state)
    if structure.sequential:
        previous_complete = True
        for state in ordered:
            state.unlocked = previous_complete
            previous_complete = previous_complete and state.complete
    return Progress(ordered)
