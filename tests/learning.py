"""Factories for learning-path tests: curricula, cohorts, participants and their tokens."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bench.datagen import HEADER
from lms.auth import services as auth_services
from lms.auth.models import User
from lms.auth.sessions import SESSION_KEY, start_session
from lms.cohorts import roster
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Enrollment
from lms.curriculum.models import Curriculum
from lms.extensions import db
from lms.modules.curriculum_file import import_curriculum

ALLOWED = ("belajar.id",)
#: Inside the default cohort window below.
DURING = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def curriculum_data(code="KUR-TEST", modules=2, materi=2, questions=2, prompts=1, sequential=False,
                    min_length=20, options=4) -> dict:
    return {"code": code, "title": f"Kurikulum {code}", "sequential": sequential, "modules": [
        {"code": f"M{m}", "title": f"Modul {m}", "summary": f"Ringkasan modul {m}",
         "materi": [{"title": f"Materi {m}.{k}", "body_md": f"# Materi {m}.{k}\n\nIsi **materi**.", "minutes": 5,
                     "video_url": None} for k in range(1, materi + 1)],
         "questions": [{"text": f"Soal {m}.{q}?", "options": [f"Pilihan {o}" for o in range(1, options + 1)],
                        "answer": q % options, "explanation": f"Penjelasan {m}.{q}"} for q in range(1, questions + 1)],
         "prompts": [{"text": f"Refleksi {m}.{p}", "min_length": min_length} for p in range(1, prompts + 1)]}
        for m in range(1, modules + 1)]}


@dataclass
class Learning:
    app: object

    def curriculum(self, **kwargs) -> Curriculum:
        with self.app.app_context():
            curriculum, _ = import_curriculum(curriculum_data(**kwargs))
            db.session.commit()
            return curriculum.id

    def cohort(self, code="UJI-1", curriculum_id=None, start=date(2026, 11, 1), end=date(2026, 11, 30), year=2026,
               timezone="Asia/Jakarta", **kwargs) -> int:
        with self.app.app_context():
            if curriculum_id is None:
                curriculum_id = self.curriculum()
            cohort = cohorts.create_cohort(code=code, name=f"Angkatan {code}", programme_year=year,
                                           learning_start=start, learning_end=end, timezone=timezone,
                                           curriculum=db.session.get(Curriculum, curriculum_id), **kwargs)
            db.session.commit()
            return cohort.id

    def participant(self, email="guru.satu@guru.sd.belajar.id", cohort_id=None, kode_kabkota=None) -> int:
        """Enroll ``email``; returns the enrollment id."""
        if cohort_id is None:
            cohort_id = self.cohort()
        with self.app.app_context():
            user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
            enrollment = cohorts.enroll(user, db.session.get(Cohort, cohort_id), now=DURING, kode_kabkota=kode_kabkota)
            db.session.commit()
            return enrollment.id

    def token(self, email="guru.satu@guru.sd.belajar.id") -> str:
        with self.app.app_context():
            user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
            _, token = auth_services.create_token(user, days=3650, now=datetime(2026, 1, 1, tzinfo=UTC))
            db.session.commit()
            return token

    def headers(self, email="guru.satu@guru.sd.belajar.id") -> dict:
        return {"Authorization": f"Bearer {self.token(email)}"}

    def enrollment(self, enrollment_id: int) -> Enrollment:
        """Load an enrollment (with cohort and curriculum) inside an active app context."""
        enrollment = db.session.get(Enrollment, enrollment_id)
        enrollment.cohort.curriculum  # noqa: B018 - loaded for the services
        return enrollment


def log_in(app, email: str):
    """A test client with a logged-in session for ``email`` (the account is created when missing)."""
    with app.app_context():
        user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
        db.session.commit()
        uid = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_for(app, uid))
        session["_fresh"] = True
    return client


def session_for(app, user_id: int) -> dict:
    """Flask session values of a logged-in browser: the user and a live server-side session record."""
    with app.app_context():
        secret = start_session(db.session.get(User, user_id), now=DURING)
        db.session.commit()
    return {"_user_id": str(user_id), SESSION_KEY: secret}


class ApiParticipant:
    """A participant on a fresh curriculum, driven through the JSON API (domains add their own steps)."""

    email = "guru.satu@guru.sd.belajar.id"

    def __init__(self, app, learning, **curriculum):
        self.app = app
        self.client = app.test_client()
        learning.participant(self.email,
                             cohort_id=learning.cohort(curriculum_id=learning.curriculum(**curriculum)))
        self.headers = learning.headers(self.email)
        self.modules = self.progress()["modules"]

    def progress(self) -> dict:
        return self.client.get("/api/v1/me/progress", headers=self.headers).get_json()

    def module_id(self, index=0) -> int:
        return self.modules[index]["id"]

    def finish_materi(self, index=0):
        for materi in self.modules[index]["materi"]:
            response = self.client.post(f"/api/v1/materi/{materi['id']}/complete", headers=self.headers)
            assert response.status_code == 200, response.get_json()


def import_roster(app, cohort_id: int, data: list[list[str]]) -> None:
    """Import roster rows (without the header) into a cohort through the real importer; it must succeed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(data)
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "roster.csv", now=DURING)
        db.session.commit()
        job = roster.run_import(job, io.BytesIO(out.getvalue().encode()), now=DURING)
        assert job.status == "done", roster.errors_of(job, limit=None)
