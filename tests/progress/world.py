"""A small world for the read-model tests: two cohorts, three curricula, participants; events run through the
services exactly as the pages and the API run them (each its own transaction, committed or rolled back)."""

from __future__ import annotations

import csv
import io
import itertools
import random
from datetime import date, timedelta

from sqlalchemy import select

from bench.datagen import HEADER, nik_for
from lms.auth import services as auth_services
from lms.cohorts import roster
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Enrollment
from lms.core.errors import DomainError
from lms.curriculum.models import Curriculum, Materi, Module
from lms.extensions import db
from lms.journal.services import prompts_for, save_journal
from lms.modules.curriculum_file import CurriculumErrors, import_curriculum
from lms.modules.services import complete_materi
from lms.posttest.models import Question
from lms.posttest.services import submit_attempt
from lms.progress.rebuild import differences
from tests.learning import ALLOWED, DURING, curriculum_data

LONG = "Saya belajar banyak hal dari modul ini dan akan menerapkannya di kelas."


class World:
    """Cohort A (curriculum K-A) with participants; cohort B (curriculum K-C, nobody progressing) to re-total."""

    def __init__(self, app, learning, participants: int = 3):
        self.app = app
        self.curricula = [learning.curriculum(code=code, modules=m, materi=k)
                          for code, m, k in (("K-A", 2, 2), ("K-B", 3, 1), ("K-C", 1, 3))]
        self.cohort_a = learning.cohort(code="UJI-A", curriculum_id=self.curricula[0])
        self.cohort_b = learning.cohort(code="UJI-B", curriculum_id=self.curricula[2], year=2027)
        self.serial = itertools.count()
        self.enrollments = [self.enroll(self.cohort_a) for _ in range(participants)]
        self.enroll(self.cohort_b)
        self.now = DURING

    def tick(self):
        self.now += timedelta(seconds=37)
        return self.now

    def enroll(self, cohort_id: int) -> int:
        with self.app.app_context():
            email = f"guru.{next(self.serial)}@guru.sd.belajar.id"
            user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
            enrollment = cohorts.enroll(user, db.session.get(Cohort, cohort_id), now=DURING, kode_kabkota="3273")
            db.session.commit()
            return enrollment.id

    def _structure(self, enrollment: Enrollment) -> list[tuple[Module, list[Materi]]]:
        modules = db.session.scalars(select(Module).where(Module.curriculum_id == enrollment.cohort.curriculum_id)
                                     .order_by(Module.position)).all()
        return [(m, list(m.materi)) for m in modules]

    def run(self, event: tuple) -> None:
        """Apply one event; a refusal (locked, closed, conflict) rolls back like a request would."""
        kind, who, a, b = event
        now = self.tick()
        with self.app.app_context():
            try:
                self._apply(kind, who, a, b, now)
                db.session.commit()
            except (DomainError, CurriculumErrors):
                db.session.rollback()

    def _apply(self, kind: str, who: int, a: int, b: int, now) -> None:
        if kind == "enroll":
            self.enrollments.append(self.enroll(self.cohort_a))
            return
        if kind == "recurriculum":
            cohort = db.session.get(Cohort, self.cohort_a)
            cohorts.update_cohort(cohort, name=cohort.name, programme_year=cohort.programme_year,
                                  curriculum=db.session.get(Curriculum, self.curricula[a % 3]),
                                  learning_start=cohort.learning_start, learning_end=cohort.learning_end,
                                  timezone=cohort.timezone, registration_start=None, registration_end=None,
                                  actor_id=None, now=now)
            return
        if kind == "reimport":  # refused when the curriculum is in use and its shape changes
            import_curriculum(curriculum_data(code="K-C", modules=1 + a % 3, materi=1 + b % 3))
            return
        if kind == "school":  # the roster places a participant at a school, or moves them to another
            self._school(who % len(self.enrollments), f"4030000{b % 3}", now)
            return
        enrollment = db.session.get(Enrollment, self.enrollments[who % len(self.enrollments)])
        structure = self._structure(enrollment)
        if not structure:
            return
        module, materi = structure[a % len(structure)]
        if kind == "materi":
            if materi:
                complete_materi(enrollment, materi[b % len(materi)], now=now)
        elif kind == "attempt":
            questions = db.session.scalars(select(Question).where(Question.module_id == module.id)).all()
            answers = {str(q.id): q.options[b % len(q.options)].id for q in questions}
            submit_attempt(enrollment, module, answers, now=now)
        elif kind in ("draft", "journal"):
            prompts = [p.id for p in prompts_for(module)]
            text = LONG if b % 2 == 0 else "pendek"
            save_journal(enrollment, module, {str(p): text for p in prompts}, submit=kind == "journal", now=now)
        elif kind == "extend":
            cohorts.extend_participant(enrollment, date(2026, 12, 10 + b % 10), reason="Sakit", now=now,
                                       actor_id=None)

    def _school(self, index: int, npsn: str, now) -> None:
        enrollment = db.session.get(Enrollment, self.enrollments[index])
        out = io.StringIO()
        csv.writer(out).writerows([HEADER, [nik_for("3273", index, random.Random(index)), "Guru",
                                            enrollment.user.email, npsn, f"SD Negeri {npsn}", "3273"]])
        job = roster.create_import(enrollment.cohort, "roster.csv", now=now)
        db.session.commit()
        job = roster.run_import(job, io.BytesIO(out.getvalue().encode()), now=now)
        assert job.status == "done", roster.errors_of(job, limit=None)

    def differences(self):
        with self.app.app_context():
            return differences()


KINDS = ("materi",) * 6 + ("attempt",) * 3 + ("draft", "journal", "journal", "journal", "enroll", "recurriculum",
                                              "reimport", "extend", "school", "school")
