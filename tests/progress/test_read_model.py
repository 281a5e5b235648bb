"""The progress read model equals the raw rows after any sequence of events, and the tools that check and
repair it work."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from bench import datagen
from lms.admin import reports
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.modules.curriculum_file import import_curriculum
from lms.progress.models import ProgressSummary
from lms.progress.rebuild import differences
from tests.learning import curriculum_data, import_roster
from tests.progress.world import KINDS, World
from tests.queries import counted, writes

#: (kind, participant, module, materi or answer): few participants and small indexes, so that random sequences
#: reach post-tests, journals and their repeats.
EVENTS = st.tuples(st.sampled_from(KINDS), st.integers(0, 1), st.integers(0, 1), st.integers(0, 3))


@pytest.fixture
def world(app, learning, during):
    return World(app, learning)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENTS, min_size=1, max_size=40))
def test_any_sequence_of_events_keeps_the_read_model_equal_to_the_raw_rows(world, events):
    for event in events:
        world.run(event)
    assert world.differences() == []


def test_a_full_course_counts_every_part_once(world):
    for module in (0, 1):
        for materi in (0, 1):
            world.run(("materi", 0, module, materi))
            world.run(("materi", 0, module, materi))  # a second click counts nothing
        world.run(("attempt", 0, module, 1))
        world.run(("attempt", 0, module, 2))  # a retake counts nothing
        world.run(("draft", 0, module, 0))
        world.run(("journal", 0, module, 0))
        world.run(("journal", 0, module, 0))  # a revision counts nothing
    with world.app.app_context():
        row = db.session.get(ProgressSummary, world.enrollments[0])
        assert (row.parts_done, row.parts_total, row.materi_done, row.posttests_done, row.journals_done) == \
            (8, 8, 4, 2, 2)
        assert row.last_activity_at == world.now
    assert world.differences() == []


def test_verify_finds_a_tampered_row_and_rebuild_repairs_it(world, runner):
    world.run(("materi", 0, 0, 0))
    assert runner.invoke(args=["progress", "verify"]).exit_code == 0
    with world.app.app_context():
        db.session.execute(update(ProgressSummary).where(ProgressSummary.enrollment_id == world.enrollments[1])
                           .values(parts_done=5, materi_done=5))
        db.session.execute(ProgressSummary.__table__.delete()
                           .where(ProgressSummary.enrollment_id == world.enrollments[2]))
        db.session.commit()
    found = runner.invoke(args=["progress", "verify"])
    assert found.exit_code == 1, found.output
    assert f"enrollment {world.enrollments[1]}: parts_done: 5 != 0, materi_done: 5 != 0" in found.output
    assert f"enrollment {world.enrollments[2]}: missing" in found.output
    assert f"enrollment {world.enrollments[0]}:" not in found.output
    assert runner.invoke(args=["progress", "verify", "--cohort", "UJI-B"]).exit_code == 0
    assert runner.invoke(args=["progress", "verify", "--cohort", "NOPE"]).exit_code != 0
    rebuilt = runner.invoke(args=["progress", "rebuild", "--cohort", "UJI-A"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(args=["progress", "verify"]).exit_code == 0
    assert world.differences() == []


def test_a_curriculum_edit_re_totals_every_enrollment_of_its_cohorts_in_one_statement(world):
    world.run(("recurriculum", 0, 2, 0))  # cohort A follows K-C as well (1 module, 3 materi: 5 parts)
    with world.app.app_context():
        with counted(world.app) as statements:
            import_curriculum(curriculum_data(code="K-C", modules=2, materi=3))  # one materi more: 10 parts
        db.session.commit()
        retotals = [s for s in writes(statements) if s.lstrip().startswith("UPDATE progress_summary")]
        assert len(retotals) == 1, statements
        totals = db.session.execute(select(ProgressSummary.parts_total, func.count())
                                    .group_by(ProgressSummary.parts_total)).all()
        assert totals == [(10, 4)]
    assert world.differences() == []


def test_a_roster_import_adds_the_summary_rows_in_one_statement(app, learning, during):
    cohort_id = learning.cohort()
    rows = [list(row) for row in datagen.rows(5)]
    with counted(app) as statements:
        import_roster(app, cohort_id, rows)
    inserts = [s for s in writes(statements) if s.lstrip().startswith("INSERT INTO progress_summary")]
    assert len(inserts) == 1, statements
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProgressSummary)) == 5
        assert set(db.session.scalars(select(ProgressSummary.parts_total))) == {8}


def test_a_roster_import_moving_participants_moves_their_summary_rows(app, learning, during):
    cohort_id = learning.cohort()
    rows = [list(row) for row in datagen.rows(3)]
    import_roster(app, cohort_id, rows)
    rows[0][5] = rows[1][5]
    rows[2][3] = rows[1][3]  # another school
    with counted(app) as statements:
        import_roster(app, cohort_id, rows)
    copies = [s for s in writes(statements) if s.lstrip().startswith("UPDATE progress_summary")]
    assert len(copies) == 1, statements
    with app.app_context():
        assert sorted(db.session.scalars(select(ProgressSummary.kode_kabkota))) == sorted([rows[1][5]] * 2 +
                                                                                          [rows[2][5]])
        assert sorted(db.session.scalars(select(ProgressSummary.npsn))) == sorted([rows[0][3]] + [rows[1][3]] * 2)
        assert differences() == []
        by_school = reports.progress_report(db.session.get(Cohort, cohort_id), "school")
        assert [(r.key, r.name, r.participants) for r in by_school] == sorted(
            [(rows[0][3], rows[0][4], 1), (rows[1][3], rows[1][4], 2)])
