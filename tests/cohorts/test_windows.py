"""Window edges in whole WIB days: 00:00 on the first day, 23:59:59 on the last, and one second later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.cohorts.errors import WindowClosed, WindowNotOpen
from lms.cohorts.models import Cohort
from lms.cohorts.services import WindowState, require_open, window_state
from lms.extensions import db

WIB = ZoneInfo("Asia/Jakarta")
FIRST = datetime(2026, 11, 1, 0, 0, 0, tzinfo=WIB)
LAST_SECOND = datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB)


@pytest.mark.parametrize("at,state", [
    (FIRST - timedelta(seconds=1), WindowState.BEFORE),
    (FIRST, WindowState.OPEN),
    (LAST_SECOND, WindowState.OPEN),
    (LAST_SECOND + timedelta(seconds=1), WindowState.CLOSED),
])
def test_window_edges_in_wib(app, learning, at, state):
    enrollment_id = learning.participant()
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        assert window_state(enrollment, at.astimezone(UTC)) is state
        if state is WindowState.OPEN:
            require_open(enrollment, at)
        else:
            with pytest.raises(WindowNotOpen if state is WindowState.BEFORE else WindowClosed):
                require_open(enrollment, at)


def test_instants_are_stored_in_utc(app, learning):
    cohort_id = learning.cohort()
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert cohort.learning_opens_at == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
        assert cohort.learning_closes_at == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
        assert (cohort.learning_start, cohort.learning_end) == (date(2026, 11, 1), date(2026, 11, 30))


def test_a_cohort_in_another_zone_counts_its_own_days(app, learning):
    cohort_id = learning.cohort(code="WIT-1", timezone="Asia/Jayapura")
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert cohort.learning_opens_at == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # 00:00 WIT = 22:00 WIB


def test_an_extension_keeps_one_participant_open(app, learning):
    enrollment_id = learning.participant()
    after = (LAST_SECOND + timedelta(days=2)).astimezone(UTC)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        assert window_state(enrollment, after) is WindowState.CLOSED
        enrollment.extended_until = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
        assert window_state(enrollment, after) is WindowState.OPEN
        assert window_state(enrollment, datetime(2026, 12, 5, 17, 0, tzinfo=UTC)) is WindowState.CLOSED


def test_api_follows_the_clock_at_the_edges(app, learning, frozen_clock):
    enrollment_id = learning.participant()
    headers = learning.headers()
    client = app.test_client()
    with app.app_context():
        materi_id = learning.enrollment(enrollment_id).cohort.curriculum.modules[0].materi[0].id
    frozen_clock(FIRST - timedelta(seconds=1))
    early = client.post(f"/api/v1/materi/{materi_id}/complete", headers=headers)
    assert early.status_code == 423 and early.get_json()["code"] == "window_closed"
    assert client.get("/api/v1/me/progress", headers=headers).get_json()["cohort"]["open"] is False
    frozen_clock(FIRST)
    assert client.post(f"/api/v1/materi/{materi_id}/complete", headers=headers).status_code == 200
    frozen_clock(LAST_SECOND)
    assert client.get("/api/v1/me/progress", headers=headers).get_json()["cohort"]["open"] is True
    frozen_clock(LAST_SECOND + timedelta(seconds=1))
    late = client.post(f"/api/v1/materi/{materi_id}/complete", headers=headers)
    assert late.status_code == 423
    progress = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert progress["cohort"]["open"] is False and progress["cohort"]["window"] == "closed"


def test_invalid_windows_are_refused(app, learning):
    from lms.core.errors import Invalid

    with pytest.raises(Invalid) as exc:
        learning.cohort(code="BAD", start=date(2026, 11, 30), end=date(2026, 11, 1))
    assert "learning_end" in exc.value.details
    with pytest.raises(Invalid) as exc:
        learning.cohort(code="BAD2", timezone="Mars/Olympus")
    assert "timezone" in exc.value.details
