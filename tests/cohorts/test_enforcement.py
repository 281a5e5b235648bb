"""Window enforcement by time travel: every transition, extensions, idempotence and catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms.cohorts.enforcement import enforce_windows
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.services import extend_participant
from lms.extensions import db

WIB = ZoneInfo("Asia/Jakarta")
BEFORE = datetime(2026, 10, 31, 23, 59, 59, tzinfo=WIB)
OPENS = datetime(2026, 11, 1, tzinfo=WIB)
LAST = datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB)
CLOSED = datetime(2026, 12, 1, tzinfo=WIB)


def setup(app, learning):
    cohort_id = learning.cohort()
    ids = [learning.participant(f"guru{i}@guru.sd.belajar.id", cohort_id=cohort_id) for i in range(3)]
    with app.app_context():
        for enrollment in db.session.scalars(select(Enrollment)):
            enrollment.status = "menunggu"
        db.session.get(Enrollment, ids[0]).completed_at = datetime(2026, 11, 20, tzinfo=UTC)
        db.session.commit()
    return cohort_id, ids


def statuses(app, ids):
    with app.app_context():
        return [db.session.get(Enrollment, i).status for i in ids]


def enforce(app, at):
    with app.app_context():
        result = enforce_windows(now=at.astimezone(UTC))
        db.session.commit()
        return result.as_dict()


def test_transitions_at_the_edges(app, learning):
    cohort_id, ids = setup(app, learning)
    assert enforce(app, BEFORE)["activated"] == 0 and statuses(app, ids) == ["menunggu"] * 3
    assert enforce(app, OPENS)["activated"] == 3 and statuses(app, ids) == ["aktif"] * 3
    assert enforce(app, LAST) == {"activated": 0, "completed": 0, "not_completed": 0, "reopened": 0,
                                  "registrations_closed": 0}
    result = enforce(app, CLOSED)
    assert (result["completed"], result["not_completed"], result["registrations_closed"]) == (1, 2, 1)
    assert statuses(app, ids) == ["tuntas", "tidak_tuntas", "tidak_tuntas"]
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).registration_closed_at == CLOSED.astimezone(UTC)


def test_a_second_pass_changes_nothing(app, learning):
    _, ids = setup(app, learning)
    enforce(app, CLOSED)
    assert enforce(app, CLOSED) == {"activated": 0, "completed": 0, "not_completed": 0, "reopened": 0,
                                    "registrations_closed": 0}


def test_catch_up_after_downtime_goes_straight_to_the_end_state(app, learning):
    _, ids = setup(app, learning)
    enforce(app, CLOSED + timedelta(days=30))  # never ran during the window
    assert statuses(app, ids) == ["tuntas", "tidak_tuntas", "tidak_tuntas"]


def test_extensions_are_honoured(app, learning):
    _, ids = setup(app, learning)
    enforce(app, OPENS)
    with app.app_context():
        extend_participant(db.session.get(Enrollment, ids[1]), date(2026, 12, 7), reason="Sakit, surat dokter",
                           now=LAST.astimezone(UTC), actor_id=None)
        db.session.commit()
    enforce(app, CLOSED)
    assert statuses(app, ids) == ["tuntas", "aktif", "tidak_tuntas"]
    enforce(app, datetime(2026, 12, 7, 23, 59, 59, tzinfo=WIB))
    assert statuses(app, ids)[1] == "aktif"
    enforce(app, datetime(2026, 12, 8, tzinfo=WIB))
    assert statuses(app, ids)[1] == "tidak_tuntas"


def test_an_extension_after_the_close_reopens(app, learning):
    _, ids = setup(app, learning)
    enforce(app, CLOSED)
    with app.app_context():
        enrollment = db.session.get(Enrollment, ids[2])
        extend_participant(enrollment, date(2026, 12, 10), reason="Bencana alam", now=CLOSED.astimezone(UTC),
                           actor_id=None)
        assert enrollment.status == "aktif"
        db.session.commit()
    enforce(app, datetime(2026, 12, 5, tzinfo=WIB))
    assert statuses(app, ids)[2] == "aktif"


def test_windows_enforce_command(app, learning):
    _, ids = setup(app, learning)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["windows", "enforce", "--now", "2026-12-01T00:00:00+07:00"])
    assert first.exit_code == 0 and "completed=1 not_completed=2" in first.output
    second = runner.invoke(args=["windows", "enforce", "--now", "2026-12-01T00:00:00+07:00"])
    assert "completed=0 not_completed=0" in second.output
    bad = runner.invoke(args=["windows", "enforce", "--now", "kemarin"])
    assert bad.exit_code != 0


def test_moving_a_cohort_window_moves_its_participants(app, learning):
    from lms.cohorts.services import set_windows

    cohort_id, ids = setup(app, learning)
    enforce(app, CLOSED)
    assert statuses(app, ids) == ["tuntas", "tidak_tuntas", "tidak_tuntas"]
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        set_windows(cohort, learning_start=date(2026, 11, 1), learning_end=date(2026, 12, 15), timezone=cohort.timezone)
        db.session.commit()
    result = enforce(app, CLOSED)  # the end moved later: everyone is back inside the window
    assert result["reopened"] == 3 and statuses(app, ids) == ["aktif"] * 3
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).registration_closed_at is None
        cohort = db.session.get(Cohort, cohort_id)
        set_windows(cohort, learning_start=date(2026, 12, 5), learning_end=date(2026, 12, 20), timezone=cohort.timezone)
        db.session.commit()
    enforce(app, CLOSED)  # the start moved later: waiting again
    assert statuses(app, ids) == ["menunggu"] * 3
