"""Post-tests: questions without answers, practice attempts, validation, locks, windows, and the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.posttest.models import Attempt, Question
from tests.learning import ApiParticipant, log_in

EMAIL = "guru.satu@guru.sd.belajar.id"
#: 1 Dec 2026 00:00 WIB: the default cohort window (1–30 Nov 2026) has just closed.
AFTER = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
LAST_SECOND = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
#: 31 Oct 2026 23:59:59 WIB: one second before the window opens.
BEFORE = datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC)


class Participant(ApiParticipant):
    def questions(self, index=0) -> list[dict]:
        """[(question_id, right_option_id, [option ids])] from the database (the API never tells)."""
        with self.app.app_context():
            questions = db.session.scalars(select(Question).where(Question.module_id == self.module_id(index))
                                           .order_by(Question.position)).all()
            return [{"id": q.id, "right": next(o.id for o in q.options if o.is_correct),
                     "options": [o.id for o in q.options]} for q in questions]

    def right(self, index=0) -> dict:
        return {str(q["id"]): q["right"] for q in self.questions(index)}

    def wrong(self, index=0) -> dict:
        return {str(q["id"]): next(o for o in q["options"] if o != q["right"]) for q in self.questions(index)}

    def attempt(self, answers, index=0):
        return self.client.post(f"/api/v1/posttests/{self.module_id(index)}/attempts", json={"answers": answers},
                                headers=self.headers)

    def posttest_state(self, index=0) -> dict:
        return self.progress()["modules"][index]["posttest"]

    def attempts_stored(self) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count(Attempt.id)))


@pytest.fixture
def participant(app, learning, during):
    return Participant(app, learning)


@pytest.fixture
def ready(participant):
    """A participant whose module 1 materi are all done."""
    participant.finish_materi()
    return participant


def test_questions_carry_no_answers_or_explanations(ready):
    response = ready.client.get(f"/api/v1/posttests/{ready.module_id()}", headers=ready.headers)
    assert response.status_code == 200
    questions = response.get_json()["questions"]
    assert [q["text"] for q in questions] == ["Soal 1.1?", "Soal 1.2?"]
    for question in questions:
        assert {"id", "text", "options"} <= set(question)
        assert not {"answer", "is_correct", "explanation", "correct_option_id"} & set(question)
        assert len(question["options"]) == 4
        for option in question["options"]:
            assert set(option) == {"id", "text"}
    raw = response.get_data(as_text=True)
    assert "is_correct" not in raw and "Penjelasan" not in raw and "explanation" not in raw


def test_all_wrong_answers_still_mark_the_posttest_done_with_score_zero(ready):
    response = ready.attempt(ready.wrong())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["score"], body["max_score"]) == (0, 2)
    assert [f["correct"] for f in body["feedback"]] == [False, False]
    assert [f["explanation"] for f in body["feedback"]] == ["Penjelasan 1.1", "Penjelasan 1.2"]
    assert [f["question_id"] for f in body["feedback"]] == [q["id"] for q in ready.questions()]
    state = ready.posttest_state()
    assert state["done"] is True and state["attempts"] == 1
    assert ready.progress()["modules"][0]["journal"]["unlocked"] is True


def test_all_right_answers_give_the_max_score(ready):
    body = ready.attempt(ready.right()).get_json()
    assert body["score"] == body["max_score"] == 2
    assert all(f["correct"] for f in body["feedback"])
    assert [f["correct_option_id"] for f in body["feedback"]] == [q["right"] for q in ready.questions()]


def test_retakes_are_allowed_and_counted(ready):
    scores = [ready.attempt(answers).get_json()["score"] for answers in (ready.wrong(), ready.right(), ready.wrong())]
    assert scores == [0, 2, 0]
    state = ready.posttest_state()
    assert state["done"] is True and state["attempts"] == 3 and state["best_score"] == 2
    assert ready.attempts_stored() == 3


def _unanswered(p):
    answers = p.right()
    missing = next(iter(answers))
    del answers[missing]
    return answers, missing


def _option_of_another_question(p):
    q1, q2 = p.questions()
    answers = p.right()
    answers[str(q1["id"])] = q2["options"][0]
    return answers, str(q1["id"])


def _question_of_another_module(p):
    foreign = p.questions(1)[0]
    return {**p.right(), str(foreign["id"]): foreign["right"]}, str(foreign["id"])


def _non_integer_option(p):
    answers = p.right()
    key = next(iter(answers))
    answers[key] = "satu"
    return answers, key


def _non_integer_question(p):
    return {**p.right(), "soal": p.questions()[0]["right"]}, "soal"


@pytest.mark.parametrize("case", [_unanswered, _option_of_another_question, _question_of_another_module,
                                  _non_integer_option, _non_integer_question])
def test_invalid_answers_are_refused_per_question_and_nothing_is_stored(ready, case):
    answers, bad_key = case(ready)
    response = ready.attempt(answers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and body["message"]
    assert bad_key in body["errors"] and body["errors"][bad_key]
    assert ready.attempts_stored() == 0
    state = ready.posttest_state()
    assert state["done"] is False and state["attempts"] == 0


def test_a_fractional_option_id_is_refused(ready):
    q1 = ready.questions()[0]
    answers = {**ready.right(), str(q1["id"]): q1["options"][0] + 0.5}
    response = ready.attempt(answers)
    assert response.status_code == 422
    assert str(q1["id"]) in response.get_json()["errors"]
    assert ready.attempts_stored() == 0


def test_posttest_is_not_unlocked_before_the_materi_are_done(participant):
    participant.client.post(f"/api/v1/materi/{participant.modules[0]['materi'][0]['id']}/complete",
                            headers=participant.headers)
    for response in (participant.client.get(f"/api/v1/posttests/{participant.module_id()}",
                                            headers=participant.headers),
                     participant.attempt(participant.right())):
        assert response.status_code == 409
        assert response.get_json()["code"] == "not_unlocked" and response.get_json()["message"]
    assert participant.attempts_stored() == 0


def test_attempts_are_refused_once_the_window_has_closed(ready, frozen_clock):
    frozen_clock(LAST_SECOND)
    assert ready.attempt(ready.right()).status_code == 201
    frozen_clock(AFTER)
    response = ready.attempt(ready.wrong())
    assert response.status_code == 423
    assert response.get_json()["code"] == "window_closed" and response.get_json()["message"]
    assert ready.attempts_stored() == 1
    assert ready.posttest_state()["attempts"] == 1


def test_posttest_is_refused_before_the_window_opens(participant, frozen_clock):
    frozen_clock(BEFORE)
    for response in (participant.client.get(f"/api/v1/posttests/{participant.module_id()}",
                                            headers=participant.headers),
                     participant.attempt(participant.right())):
        assert response.status_code == 423
        assert response.get_json()["code"] == "window_closed" and response.get_json()["message"]
    assert participant.attempts_stored() == 0


# --- pages ------------------------------------------------------------------------------------------------------

def checked_options(page: str) -> dict[str, str]:
    """{question_id: option_id} of the radio buttons rendered checked."""
    found = re.findall(r'<input type="radio" name="q(\d+)" value="(\d+)"\s*checked', page)
    return dict(found)


def test_posttest_page_shows_the_questions_without_the_key(app, ready):
    client = log_in(app, EMAIL)
    response = client.get(f"/sertifikasi/modul/{ready.module_id()}/post-test/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Soal 1.1?" in page and "Soal 1.2?" in page
    assert page.count('type="radio"') == 8 and checked_options(page) == {}
    assert "Penjelasan" not in page


def test_incomplete_form_redirects_and_the_page_keeps_the_choices(app, ready):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, EMAIL)
    q1, q2 = ready.questions()
    chosen = q1["options"][2]
    url = f"/sertifikasi/modul/{ready.module_id()}/post-test/"
    response = client.post(url, data={f"q{q1['id']}": chosen})
    assert response.status_code == 303 and response.headers["Location"] == url  # a reload re-sends nothing
    for _reload in range(2):
        page = client.get(url).get_data(as_text=True)
        assert checked_options(page) == {str(q1["id"]): str(chosen)}
        assert "Soal nomor 2 belum dijawab." in page and 'data-testid="posttest-error"' in page
    assert ready.attempts_stored() == 0
    # Answered in full: the attempt is stored and the kept choices are gone.
    assert client.post(url, data={f"q{q1['id']}": q1["right"], f"q{q2['id']}": q2["right"]}).status_code == 302
    assert 'data-testid="posttest-error"' not in client.get(url).get_data(as_text=True)


def test_complete_form_redirects_to_the_result_with_score_and_explanations(app, ready):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, EMAIL)
    q1, q2 = ready.questions()
    wrong = next(o for o in q2["options"] if o != q2["right"])
    response = client.post(f"/sertifikasi/modul/{ready.module_id()}/post-test/",
                           data={f"q{q1['id']}": q1["right"], f"q{q2['id']}": wrong})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/sertifikasi/modul/{ready.module_id()}/post-test/hasil")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nilai latihan: 1 dari 2" in page
    assert "Penjelasan 1.1" in page and "Penjelasan 1.2" in page
    assert page.count('data-testid="feedback"') == 2
    assert ready.posttest_state()["attempts"] == 1
