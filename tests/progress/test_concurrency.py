"""Concurrent events on one enrollment (PostgreSQL): duplicate materi clicks, simultaneous first post-test
attempts and journal submissions; no count is lost or counted twice."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.cohorts.models import Enrollment
from lms.core.errors import DomainError
from lms.extensions import db
from lms.progress.models import ProgressSummary
from tests.progress.world import World

pytestmark = pytest.mark.postgres


def at_once(world: World, events: list[tuple]) -> list[Exception]:
    """Run every event in its own thread and transaction, all released together by a barrier."""
    barrier = threading.Barrier(len(events))
    failures: list[Exception] = []
    now = world.tick()

    def run(event):
        kind, who, a, b = event
        with world.app.app_context():
            try:
                enrollment = db.session.get(Enrollment, world.enrollments[who])
                enrollment.cohort.curriculum  # noqa: B018 - loaded before the race
                barrier.wait(timeout=30)
                world._apply(kind, who, a, b, now)
                db.session.commit()
            except DomainError:
                db.session.rollback()
            except Exception as exc:  # a deadlock or a lost update would land here
                db.session.rollback()
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


@pytest.fixture
def world(pg_app, pg_learning, frozen_clock):
    from tests.learning import DURING

    frozen_clock(DURING)
    return World(pg_app, pg_learning)


def counts(world: World, who: int = 0) -> tuple:
    with world.app.app_context():
        row = db.session.get(ProgressSummary, world.enrollments[who])
        return row.parts_done, row.materi_done, row.posttests_done, row.journals_done


def test_concurrent_events_on_one_enrollment_are_each_counted_once(world):
    for materi in (0, 1):
        world.run(("materi", 0, 0, materi))
    assert counts(world) == (2, 2, 0, 0)
    # Module 1 (K-A: 2 modules of 2 materi): 3 clicks on materi 0 at once, 2 on materi 1; module 0: three first
    # attempts at once.
    events = [("materi", 0, 1, 0)] * 3 + [("materi", 0, 1, 1)] * 2 + [("attempt", 0, 0, b) for b in range(3)]
    assert at_once(world, events) == []
    assert counts(world) == (5, 4, 1, 0)
    # Both modules' journals submitted twice at once each, and second attempts of module 1 beside first ones.
    events = [("journal", 0, 0, 0)] * 2 + [("attempt", 0, 1, b) for b in range(3)]
    assert at_once(world, events) == []
    events = [("journal", 0, 1, 0)] * 3 + [("draft", 0, 0, 0)] * 2
    assert at_once(world, events) == []
    assert counts(world) == (8, 4, 2, 2)
    assert world.differences() == []


EVENTS = st.tuples(st.sampled_from(("materi", "materi", "attempt", "journal", "draft")), st.integers(0, 1),
                   st.integers(0, 9), st.integers(0, 9))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(st.lists(EVENTS, min_size=2, max_size=8), min_size=1, max_size=4))
def test_random_concurrent_rounds_keep_the_read_model_equal_to_the_raw_rows(world, rounds):
    for events in rounds:
        assert at_once(world, events) == []
        assert world.differences() == []
