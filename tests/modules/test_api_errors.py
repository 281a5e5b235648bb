"""Every refusal of the learning API: status, stable ``code``, and a ``message``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Cohort
from lms.curriculum.models import Curriculum
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt, Question

EMAIL = "guru.satu@guru.sd.belajar.id"
AFTER = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 Dec 2026 00:00 WIB
BEFORE = datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC)  # 31 Oct 2026 23:59:59 WIB


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    return body


class World:
    """A participant on curriculum KUR-TEST, and another curriculum KUR-LAIN nobody follows."""

    def __init__(self, app, learning, **curriculum):
        self.app = app
        self.client = app.test_client()
        self.learning = learning
        learning.participant(cohort_id=learning.cohort(curriculum_id=learning.curriculum(**curriculum)))
        self.headers = learning.headers(EMAIL)
        self.modules = self.client.get("/api/v1/me/progress", headers=self.headers).get_json()["modules"]
        other = learning.curriculum(code="KUR-LAIN")
        with app.app_context():
            module = db.session.get(Curriculum, other).modules[0]
            self.foreign_module, self.foreign_materi = module.id, module.materi[0].id

    @property
    def module_id(self) -> int:
        return self.modules[0]["id"]

    @property
    def materi_id(self) -> int:
        return self.modules[0]["materi"][0]["id"]

    def answers(self) -> dict:
        with self.app.app_context():
            questions = db.session.scalars(select(Question).where(Question.module_id == self.module_id)).all()
            return {str(q.id): q.options[0].id for q in questions}

    def calls(self, module_id=None, materi_id=None) -> list:
        """(method, url, json) of every learning endpoint."""
        module_id = module_id or self.module_id
        materi_id = materi_id or self.materi_id
        return [
            ("get", "/api/v1/me/progress", None),
            ("post", f"/api/v1/materi/{materi_id}/complete", None),
            ("get", f"/api/v1/posttests/{module_id}", None),
            ("post", f"/api/v1/posttests/{module_id}/attempts", {"answers": {}}),
            ("get", f"/api/v1/journals/{module_id}", None),
            ("put", f"/api/v1/journals/{module_id}", {"answers": {}, "submit": False}),
        ]

    def call(self, method, url, body=None, headers=None):
        return getattr(self.client, method)(url, json=body, headers=self.headers if headers is None else headers)

    def finish_materi(self):
        for materi in self.modules[0]["materi"]:
            assert self.call("post", f"/api/v1/materi/{materi['id']}/complete").status_code == 200

    def stored(self) -> tuple[int, int, int]:
        with self.app.app_context():
            return tuple(db.session.scalar(select(func.count()).select_from(model))
                         for model in (MateriProgress, Attempt, JournalEntry))


@pytest.fixture
def world(app, learning, during):
    return World(app, learning)


def test_401_unauthenticated_without_credentials(world):
    for method, url, body in world.calls():
        assert_error(world.call(method, url, body, headers={}), 401, "unauthenticated")


def test_403_not_participant_for_a_logged_in_non_participant(world):
    outsider = world.learning.headers("bukan.peserta@guru.sd.belajar.id")
    for method, url, body in world.calls():
        assert_error(world.call(method, url, body, headers=outsider), 403, "not_participant")
    assert world.stored() == (0, 0, 0)


def test_403_not_participant_when_the_cohort_has_no_curriculum(app, learning, during):
    cohort_id = learning.cohort(code="TANPA-KUR")
    with app.app_context():
        db.session.get(Cohort, cohort_id).curriculum_id = None
        db.session.commit()
    learning.participant(cohort_id=cohort_id)
    response = app.test_client().get("/api/v1/me/progress", headers=learning.headers(EMAIL))
    assert_error(response, 403, "not_participant")


def test_404_for_a_module_or_materi_of_another_curriculum(world):
    for method, url, body in world.calls(module_id=world.foreign_module, materi_id=world.foreign_materi)[1:]:
        assert_error(world.call(method, url, body), 404, "not_found")
    for method, url, body in world.calls(module_id=987654, materi_id=987654)[1:]:
        assert_error(world.call(method, url, body), 404, "not_found")
    assert world.stored() == (0, 0, 0)


def test_409_not_unlocked(world):
    # Post-test before the materi are done; journal before the post-test is done.
    for method, url, body in world.calls()[2:]:
        assert_error(world.call(method, url, body), 409, "not_unlocked")
    world.finish_materi()
    assert_error(world.call("get", f"/api/v1/journals/{world.module_id}"), 409, "not_unlocked")
    assert_error(world.call("put", f"/api/v1/journals/{world.module_id}", {"answers": {}}), 409, "not_unlocked")


def test_409_not_unlocked_for_a_locked_module_of_a_sequential_curriculum(app, learning, during):
    world = World(app, learning, sequential=True)
    module2 = world.modules[1]
    assert module2["unlocked"] is False
    assert_error(world.call("post", f"/api/v1/materi/{module2['materi'][0]['id']}/complete"), 409, "not_unlocked")
    assert_error(world.call("get", f"/api/v1/posttests/{module2['id']}"), 409, "not_unlocked")
    assert world.stored() == (0, 0, 0)


def test_423_window_closed_after_the_window(world, frozen_clock):
    world.finish_materi()
    frozen_clock(AFTER)
    assert world.call("get", "/api/v1/me/progress").get_json()["cohort"]["open"] is False
    assert_error(world.call("post", f"/api/v1/materi/{world.modules[0]['materi'][0]['id']}/complete"),
                 423, "window_closed")
    assert_error(world.call("post", f"/api/v1/posttests/{world.module_id}/attempts", {"answers": world.answers()}),
                 423, "window_closed")
    assert_error(world.call("put", f"/api/v1/journals/{world.module_id}", {"answers": {}}), 423, "window_closed")
    assert world.stored() == (2, 0, 0)


def test_423_window_closed_before_the_window(world, frozen_clock):
    frozen_clock(BEFORE)
    assert world.call("get", "/api/v1/me/progress").status_code == 200
    for method, url, body in world.calls()[1:]:
        assert_error(world.call(method, url, body), 423, "window_closed")
    assert world.stored() == (0, 0, 0)


@pytest.mark.parametrize("endpoint", ["attempts", "journal"])
def test_422_for_a_body_that_is_not_a_json_object(world, endpoint):
    world.finish_materi()
    method, url = (("post", f"/api/v1/posttests/{world.module_id}/attempts") if endpoint == "attempts"
                   else ("put", f"/api/v1/journals/{world.module_id}"))
    send = getattr(world.client, method)
    for kwargs in ({"data": "answers=1", "content_type": "text/plain"},
                   {"data": "{not json", "content_type": "application/json"},
                   {"json": [1, 2]}, {"json": "answers"}):
        assert_error(send(url, headers=world.headers, **kwargs), 422, "invalid")
    assert world.stored() == (2, 0, 0)


@pytest.mark.parametrize("answers", [[1, 2], "semua", 5])
def test_422_when_posttest_answers_are_not_an_object(world, answers):
    world.finish_materi()
    body = assert_error(world.call("post", f"/api/v1/posttests/{world.module_id}/attempts", {"answers": answers}),
                        422, "invalid")
    assert "answers" in body["errors"]
    assert world.stored() == (2, 0, 0)


def test_422_when_posttest_answers_are_missing(world):
    world.finish_materi()
    assert_error(world.call("post", f"/api/v1/posttests/{world.module_id}/attempts", {}), 422, "invalid")
    assert world.stored() == (2, 0, 0)


@pytest.fixture
def journal_open(world):
    world.finish_materi()
    assert world.call("post", f"/api/v1/posttests/{world.module_id}/attempts",
                      {"answers": world.answers()}).status_code == 201
    return world


@pytest.mark.parametrize("answers", ["teks", 5])
def test_422_when_journal_answers_are_not_an_object(journal_open, answers):
    world = journal_open
    body = assert_error(world.call("put", f"/api/v1/journals/{world.module_id}", {"answers": answers}), 422, "invalid")
    assert "answers" in body["errors"]
    assert world.stored() == (2, 1, 0)


@pytest.mark.parametrize("answers", [[], ""])
def test_422_when_journal_answers_are_an_empty_non_object(journal_open, answers):
    world = journal_open
    assert_error(world.call("put", f"/api/v1/journals/{world.module_id}", {"answers": answers}), 422, "invalid")
    assert world.stored() == (2, 1, 0)


@pytest.mark.parametrize("version", ["1", 1.5, True])
def test_422_when_the_journal_version_is_not_an_integer(journal_open, version):
    world = journal_open
    body = assert_error(world.call("put", f"/api/v1/journals/{world.module_id}",
                                   {"answers": {}, "version": version}), 422, "invalid")
    assert "version" in body["errors"]
    assert world.stored() == (2, 1, 0)
