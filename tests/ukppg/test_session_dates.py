"""Sessions are dated in local days: a session before today in the cohort's zone is neither offered nor taken."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.cohorts.services import set_windows
from lms.extensions import db
from lms.ukppg.models import ExamSession, ExamSite
from tests.learning import log_in
from tests.ukppg.helpers import complete, seats_taken

GURU = "guru.satu@guru.sd.belajar.id"
#: 06:30 WIB on 2 December, while the UTC date is still 1 December.
EARLY_MORNING_WIB = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def dated_sessions(app) -> dict[date, int]:
    with app.app_context():
        site = ExamSite(name="TUK Tanggal", kode_kabkota="7371", province="73", address="Jl. Tanggal")
        db.session.add(site)
        db.session.flush()
        sessions = {day: ExamSession(site_id=site.id, date=day, start=time(8), seats=5, seats_taken=0)
                    for day in (date(2026, 12, 1), date(2026, 12, 2))}
        db.session.add_all(sessions.values())
        db.session.commit()
        return {day: s.id for day, s in sessions.items()}


def open_registration_until(app, cohort_id: int, end: date, timezone: str = "Asia/Jakarta") -> None:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        set_windows(cohort, learning_start=cohort.learning_start, learning_end=cohort.learning_end,
                    timezone=timezone, registration_start=None, registration_end=end)
        db.session.commit()


@pytest.fixture
def dated(app, learning, during):
    cohort_id = learning.cohort()
    enrollment_id = learning.participant(GURU, cohort_id=cohort_id, kode_kabkota="7371")
    complete(app, enrollment_id)
    open_registration_until(app, cohort_id, date(2026, 12, 10))
    return {"cohort": cohort_id, "sessions": dated_sessions(app), "headers": learning.headers(GURU),
            "client": app.test_client()}


def offered(dated) -> list[str]:
    body = dated["client"].get("/api/v1/ukppg/sessions", headers=dated["headers"]).get_json()
    return [s["date"] for s in body["sessions"]]


def register(dated, day: date):
    return dated["client"].post("/api/v1/ukppg/registrations", headers=dated["headers"],
                                json={"session_id": dated["sessions"][day]})


def test_yesterday_in_wib_is_not_offered_while_the_utc_date_is_still_that_day(dated, frozen_clock):
    frozen_clock(EARLY_MORNING_WIB)
    assert offered(dated) == ["2026-12-02"]


def test_the_last_second_of_a_session_day_still_offers_and_takes_it(app, dated, frozen_clock):
    frozen_clock(datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC))  # 23:59:59 WIB, 1 December
    assert offered(dated) == ["2026-12-01", "2026-12-02"]
    assert register(dated, date(2026, 12, 1)).status_code == 201


def test_registering_for_a_past_session_is_refused_and_changes_nothing(app, dated, frozen_clock):
    frozen_clock(EARLY_MORNING_WIB)
    past, today = dated["sessions"][date(2026, 12, 1)], dated["sessions"][date(2026, 12, 2)]
    refused = register(dated, date(2026, 12, 1))
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "session_past" and "sudah lewat" in refused.get_json()["message"]
    english = dated["client"].post("/api/v1/ukppg/registrations", json={"session_id": past},
                                   headers={**dated["headers"], "Accept-Language": "en"})
    assert english.get_json()["code"] == "session_past" and "already" in english.get_json()["message"]
    assert seats_taken(app, past) == 0
    assert register(dated, date(2026, 12, 2)).status_code == 201
    assert seats_taken(app, today) == 1


def test_changing_to_a_past_session_is_refused(app, dated, frozen_clock):
    frozen_clock(EARLY_MORNING_WIB)
    past, today = dated["sessions"][date(2026, 12, 1)], dated["sessions"][date(2026, 12, 2)]
    assert register(dated, date(2026, 12, 2)).status_code == 201
    refused = dated["client"].put("/api/v1/ukppg/registrations/me", headers=dated["headers"],
                                  json={"session_id": past})
    assert refused.status_code == 409 and refused.get_json()["code"] == "session_past"
    mine = dated["client"].get("/api/v1/ukppg/registrations/me", headers=dated["headers"]).get_json()
    assert mine["session_id"] == today
    assert (seats_taken(app, past), seats_taken(app, today)) == (0, 1)


def test_the_cohorts_own_zone_counts(app, dated, frozen_clock):
    """A WIT cohort's day starts two hours before a WIB one's."""
    open_registration_until(app, dated["cohort"], date(2026, 12, 10), timezone="Asia/Jayapura")
    frozen_clock(datetime(2026, 12, 1, 15, 30, tzinfo=UTC))  # 00:30 WIT on 2 Dec, 22:30 WIB on 1 Dec
    assert offered(dated) == ["2026-12-02"]
    assert register(dated, date(2026, 12, 1)).get_json()["code"] == "session_past"


def test_the_page_does_not_offer_a_past_session(app, dated, frozen_clock):
    frozen_clock(EARLY_MORNING_WIB)
    page = log_in(app, GURU).get("/sertifikasi/ukppg/").get_data(as_text=True)
    assert f'value="{dated["sessions"][date(2026, 12, 2)]}"' in page
    assert f'value="{dated["sessions"][date(2026, 12, 1)]}"' not in page
    with app.app_context():
        assert db.session.scalar(select(ExamSession.seats_taken).where(ExamSession.date == date(2026, 12, 1))) == 0
