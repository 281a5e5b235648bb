"""An admin who moves a window so that registered participants can no longer change or cancel sees it first."""

from __future__ import annotations

from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.admin.test_views import admin, cohort_form, html, refused  # noqa: F401 - the fixture
from tests.learning import DURING, log_in
from tests.ukppg.helpers import complete, make_sessions

TEACHER = "guru.satu@guru.sd.belajar.id"


def registration_end(app):
    with app.app_context():
        return db.session.scalar(select(Cohort).where(Cohort.code == "UJI-1")).registration_end


def test_closing_registration_on_registered_participants_asks_first(app, admin, learning, frozen_clock):  # noqa: F811
    frozen_clock(DURING)
    enrollment = learning.participant(TEACHER, kode_kabkota="7371")
    complete(app, enrollment)
    [session] = make_sessions(app, ("TUK Makassar", "7371", 5))
    assert log_in(app, TEACHER).post("/sertifikasi/ukppg/", data={"session_id": session}).status_code == 302

    # Registration ends yesterday (DURING is 20 Nov): the registered teacher could no longer move or cancel.
    form = cohort_form(name="Angkatan Uji", learning_start="2026-11-01", learning_end="2026-11-30",
                       registration_start="2026-11-01", registration_end="2026-11-19")
    warned = admin.post("/admin/cohorts/UJI-1/edit", data=form, follow_redirects=True)
    assert refused(warned)  # POST-redirect-GET: the form is shown again with the warning, nothing saved
    assert 'data-testid="window-impact"' in html(warned) and "1 peserta" in html(warned)
    assert 'value="2026-11-19"' in html(warned)  # what the admin typed
    assert registration_end(app) is None

    confirmed = admin.post("/admin/cohorts/UJI-1/edit", data={**form, "confirm_impact": "yes"})
    assert confirmed.status_code == 302
    assert str(registration_end(app)) == "2026-11-19"

    # A change that strands no one more (the same window again) saves without asking.
    assert admin.post("/admin/cohorts/UJI-1/edit", data=form).status_code == 302
