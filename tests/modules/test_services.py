"""Learning rules of modules and materi: completion, resume, unlocking, progress math, completion time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.cohorts.errors import NotUnlocked
from lms.curriculum.models import Materi
from lms.extensions import db
from lms.journal import services as journal
from lms.modules import services
from lms.modules.models import MateriProgress
from lms.modules.progress import compute_progress
from lms.posttest import services as posttest


def enrolled(learning, **curriculum) -> int:
    """A participant of a cohort on a fresh curriculum; returns the enrollment id."""
    cohort_id = learning.cohort(curriculum_id=learning.curriculum(**curriculum))
    return learning.participant(cohort_id=cohort_id)


def modules_of(enrollment):
    return list(enrollment.cohort.curriculum.modules)


def finish_materi(enrollment, module, now):
    for materi in module.materi:
        services.complete_materi(enrollment, materi, now=now)


def right_answers(module) -> dict[int, int]:
    return {q.id: next(o.id for o in q.options if o.is_correct) for q in posttest.questions_for(module)}


def take_posttest(enrollment, module, now):
    return posttest.submit_attempt(enrollment, module, right_answers(module), now=now)


def submit_journal(enrollment, module, now, text="Refleksi yang cukup panjang untuk dikirim."):
    prompts = journal.prompts_for(module)
    result = journal.save_journal(enrollment, module, {str(p.id): text for p in prompts}, submit=True, now=now)
    assert result.submitted, result.errors
    return result


def finish_module(enrollment, module, now):
    finish_materi(enrollment, module, now)
    take_posttest(enrollment, module, now)
    submit_journal(enrollment, module, now)


def api_progress(app, learning) -> dict:
    response = app.test_client().get("/api/v1/me/progress", headers=learning.headers())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_completing_a_materi_twice_keeps_one_record_and_the_first_time(app, learning, during):
    enrollment_id = enrolled(learning)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        materi = modules_of(enrollment)[0].materi[0]
        services.complete_materi(enrollment, materi, now=during)
        db.session.commit()
        progress = services.complete_materi(enrollment, materi, now=during + timedelta(hours=2))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(MateriProgress)) == 1
        assert db.session.scalar(select(MateriProgress.done_at)) == during
        assert [m.done for m in progress.modules[0].materi] == [True, False]
        assert progress.parts_done == 1


def test_open_materi_is_remembered_and_progress_resumes_there(app, learning, during):
    enrollment_id = enrolled(learning)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        first = modules_of(enrollment)[0].materi[0]
        resumed = modules_of(enrollment)[1].materi[1]
        first_id, resumed_id, module2_id = first.id, resumed.id, resumed.module_id
    assert api_progress(app, learning)["next"]["materi_id"] == first_id

    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        services.open_materi(enrollment, db.session.get(Materi, resumed_id), now=during)
        db.session.commit()
        assert learning.enrollment(enrollment_id).last_materi_id == resumed_id
    assert api_progress(app, learning)["next"] == {"kind": "materi", "module_id": module2_id, "materi_id": resumed_id}

    # Once the resumed materi is done, the first thing not done comes next again.
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        services.complete_materi(enrollment, db.session.get(Materi, resumed_id), now=during)
        db.session.commit()
    assert api_progress(app, learning)["next"]["materi_id"] == first_id


def test_modules_are_in_free_order_by_default(app, learning, during):
    enrollment_id = enrolled(learning)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module1, module2 = modules_of(enrollment)
        finish_materi(enrollment, module2, during)
        take_posttest(enrollment, module2, during)
        db.session.commit()
        state = compute_progress(enrollment)
        assert [m.unlocked for m in state.modules] == [True, True]
        assert state.module(module2.id).posttest_done and not state.module(module1.id).materi_done
    body = api_progress(app, learning)
    assert [m["unlocked"] for m in body["modules"]] == [True, True]
    assert [m["done"] for m in body["modules"][1]["materi"]] == [True, True]


def test_sequential_curriculum_locks_the_next_module_until_the_previous_is_complete(app, learning, during):
    enrollment_id = enrolled(learning, sequential=True)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module1, module2 = modules_of(enrollment)
        with pytest.raises(NotUnlocked):
            services.complete_materi(enrollment, module2.materi[0], now=during)
        with pytest.raises(NotUnlocked):
            services.open_materi(enrollment, module2.materi[0], now=during)
        db.session.rollback()
    assert [m["unlocked"] for m in api_progress(app, learning)["modules"]] == [True, False]

    # Materi and post-test of module 1 are not enough: the journal is part of "complete".
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module1, module2 = modules_of(enrollment)
        finish_materi(enrollment, module1, during)
        take_posttest(enrollment, module1, during)
        db.session.commit()
        with pytest.raises(NotUnlocked):
            services.complete_materi(enrollment, module2.materi[0], now=during)
        db.session.rollback()
    assert [m["unlocked"] for m in api_progress(app, learning)["modules"]] == [True, False]

    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module1, module2 = modules_of(enrollment)
        submit_journal(enrollment, module1, during)
        db.session.commit()
        progress = services.complete_materi(enrollment, module2.materi[0], now=during)
        db.session.commit()
        assert progress.module(module2.id).materi[0].done
    body = api_progress(app, learning)
    assert [m["unlocked"] for m in body["modules"]] == [True, True]
    assert body["modules"][0]["complete"] is True


def test_inside_a_module_posttest_waits_for_materi_and_journal_for_posttest(app, learning, during):
    enrollment_id = enrolled(learning)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module = modules_of(enrollment)[0]
        services.complete_materi(enrollment, module.materi[0], now=during)
        db.session.commit()
        state = compute_progress(enrollment).module(module.id)
        assert not state.posttest_unlocked and not state.journal_unlocked
        with pytest.raises(NotUnlocked):
            posttest.check_posttest_open(enrollment, module, now=during)
        with pytest.raises(NotUnlocked):
            posttest.submit_attempt(enrollment, module, right_answers(module), now=during)
        with pytest.raises(NotUnlocked):
            journal.get_journal(enrollment, module, now=during)
        db.session.rollback()

        services.complete_materi(enrollment, module.materi[1], now=during)
        db.session.commit()
        state = compute_progress(enrollment).module(module.id)
        assert state.posttest_unlocked and not state.journal_unlocked
        posttest.check_posttest_open(enrollment, module, now=during)
        with pytest.raises(NotUnlocked):
            journal.save_journal(enrollment, module, {}, submit=False, now=during)
        db.session.rollback()

        take_posttest(enrollment, module, during)
        db.session.commit()
        state = compute_progress(enrollment).module(module.id)
        assert state.journal_unlocked and not state.journal_done
        assert journal.get_journal(enrollment, module, now=during).status == "empty"


def test_percent_counts_materi_posttest_and_journal_and_complete_needs_everything(app, learning, during):
    enrollment_id = enrolled(learning, modules=2, materi=2)  # 2 × (2 materi + post-test + journal) = 8 parts
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module1, module2 = modules_of(enrollment)
        progress = compute_progress(enrollment)
        assert (progress.parts_total, progress.parts_done, progress.percent, progress.complete) == (8, 0, 0, False)

        finish_materi(enrollment, module1, during)
        progress = compute_progress(enrollment)
        assert (progress.parts_done, progress.percent) == (2, 25)

        take_posttest(enrollment, module1, during)
        submit_journal(enrollment, module1, during)
        progress = compute_progress(enrollment)
        assert (progress.parts_done, progress.percent) == (4, 50)
        assert progress.module(module1.id).complete and not progress.complete

        finish_materi(enrollment, module2, during)
        take_posttest(enrollment, module2, during)
        progress = compute_progress(enrollment)
        assert progress.parts_done == 7 and progress.percent < 100 and not progress.complete
        # A draft is not a submitted journal.
        journal.save_journal(enrollment, module2, {}, submit=False, now=during)
        assert compute_progress(enrollment).parts_done == 7
        db.session.commit()
    body = api_progress(app, learning)
    assert 80 <= body["percent"] < 100 and body["complete"] is False  # 7 of 8 parts
    assert [m["complete"] for m in body["modules"]] == [True, False]
    assert body["modules"][1]["journal"] == {"done": False, "status": "draft", "unlocked": True}

    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        submit_journal(enrollment, modules_of(enrollment)[1], during)
        db.session.commit()
    body = api_progress(app, learning)
    assert body["percent"] == 100 and body["complete"] is True
    assert body["registration"]["eligible"] is True


def test_completed_at_is_set_once_when_everything_is_done(app, learning, during):
    enrollment_id = enrolled(learning, modules=1)
    later = during + timedelta(days=2)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        module = modules_of(enrollment)[0]
        finish_materi(enrollment, module, during)
        take_posttest(enrollment, module, during)
        assert enrollment.completed_at is None
        done_at = during + timedelta(hours=1)
        submit_journal(enrollment, module, done_at)
        db.session.commit()
        assert learning.enrollment(enrollment_id).completed_at == done_at

        # Retakes, revisions and repeated materi later do not move it.
        enrollment = learning.enrollment(enrollment_id)
        take_posttest(enrollment, module, later)
        submit_journal(enrollment, module, later, text="Revisi refleksi yang juga cukup panjang.")
        services.complete_materi(enrollment, module.materi[0], now=later)
        db.session.commit()
        assert learning.enrollment(enrollment_id).completed_at == done_at
