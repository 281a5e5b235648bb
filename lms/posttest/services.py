"""Post-tests: practice in the UKPPPG question format. Done on the first submitted attempt, whatever the score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.cohorts.errors import NotUnlocked
from lms.cohorts.models import Enrollment
from lms.cohorts.services import require_open
from lms.core.errors import Invalid
from lms.core.events import emit
from lms.curriculum.models import Module
from lms.extensions import db
from lms.learning.services import module_state, progress_of, record_completion, require_readable
from lms.posttest.models import Attempt, Question


@dataclass
class Feedback:
    question_id: int
    correct: bool
    chosen_option_id: int | None
    correct_option_id: int
    explanation: str


@dataclass
class AttemptResult:
    attempt: Attempt
    score: int
    max_score: int
    feedback: list[Feedback]


def questions_for(module: Module) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.module_id == module.id)
                                   .options(selectinload(Question.options)).order_by(Question.position)))


def check_posttest_open(enrollment: Enrollment, module: Module, *, now: datetime) -> None:
    """Questions can be seen once the module's materi are done (and not before the window opens)."""
    require_readable(enrollment, now)
    if not module_state(progress_of(enrollment), module).posttest_unlocked:
        raise NotUnlocked(_l("Selesaikan semua materi modul ini sebelum mengerjakan post-test."))


def parse_answers(questions: list[Question], answers: Mapping) -> dict[int, int]:
    """{question_id: option_id} from a request; every question answered with one of its own options."""
    if not isinstance(answers, Mapping):
        raise Invalid(details={"answers": str(_l("Jawaban harus berupa objek {id_soal: id_pilihan}."))})
    by_id = {q.id: q for q in questions}
    errors: dict[str, str] = {}
    chosen: dict[int, int] = {}
    for key, value in answers.items():
        question_id, option_id = _as_id(key), _as_id(value)
        if question_id is None or option_id is None:
            errors[str(key)] = str(_l("Pilihan tidak valid."))
            continue
        question = by_id.get(question_id)
        if question is None:
            errors[str(key)] = str(_l("Soal ini bukan bagian dari post-test modul ini."))
        elif option_id not in {o.id for o in question.options}:
            errors[str(key)] = str(_l("Pilihan ini bukan pilihan untuk soal tersebut."))
        else:
            chosen[question_id] = option_id
    for question in questions:
        if question.id not in chosen and str(question.id) not in errors:
            errors[str(question.id)] = str(_l("Soal nomor %(n)s belum dijawab.", n=question.position))
    if errors:
        raise Invalid(_l("Jawab semua soal sebelum mengirim post-test."), details=errors)
    return chosen


def _as_id(value) -> int | None:
    """An id from JSON or a form: an integer, or a string of digits; never a fraction or a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def submit_attempt(enrollment: Enrollment, module: Module, answers: Mapping, *, now: datetime) -> AttemptResult:
    require_open(enrollment, now)
    check_posttest_open(enrollment, module, now=now)
    questions = questions_for(module)
    chosen = parse_answers(questions, answers)
    feedback = []
    for question in questions:
        right = next(o for o in question.options if o.is_correct)
        feedback.append(Feedback(question.id, chosen[question.id] == right.id, chosen[question.id], right.id,
                                 question.explanation))
    score = sum(f.correct for f in feedback)
    attempt = Attempt(enrollment_id=enrollment.id, module_id=module.id, score=score, max_score=len(questions),
                      answers={str(k): v for k, v in chosen.items()}, submitted_at=now)
    emit("posttest.attempting", enrollment=enrollment, module=module, now=now)  # locks the progress row
    db.session.add(attempt)
    db.session.flush()
    emit("posttest.attempted", enrollment=enrollment, module=module, attempt=attempt, now=now)
    record_completion(enrollment, now=now)
    return AttemptResult(attempt, score, len(questions), feedback)


def latest_attempt(enrollment: Enrollment, module: Module) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.enrollment_id == enrollment.id,
                                                   Attempt.module_id == module.id)
                             .order_by(Attempt.submitted_at.desc(), Attempt.id.desc()).limit(1))


def result_of(attempt: Attempt, questions: list[Question]) -> AttemptResult:
    """Rebuild the feedback of a stored attempt (for the result page)."""
    feedback = []
    for question in questions:
        right = next(o for o in question.options if o.is_correct)
        chosen = attempt.answers.get(str(question.id))
        feedback.append(Feedback(question.id, chosen == right.id, chosen, right.id, question.explanation))
    return AttemptResult(attempt, attempt.score, attempt.max_score, feedback)
