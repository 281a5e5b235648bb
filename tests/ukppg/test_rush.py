"""Registering in a rush: the session list filtered by province, kab/kota and date, and after ``seat_full`` the
nearest sessions with a free seat, each one tap away."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.ukppg import services
from lms.ukppg.models import ExamSession, ExamSite
from tests.learning import DURING, log_in
from tests.ukppg.helpers import complete, seats_taken

GURU = "guru.satu@guru.sd.belajar.id"
URL = "/sertifikasi/ukppg/"


def add_sessions(app, *specs) -> dict[str, int]:
    """specs: (site name, kode_kabkota, day of December 2026, seats, seats taken). Returns ids by site name."""
    ids = {}
    with app.app_context():
        for name, kode, day, seats, taken in specs:
            site = ExamSite(name=name, kode_kabkota=kode, province=kode[:2], address="")
            db.session.add(site)
            db.session.flush()
            session = ExamSession(site_id=site.id, date=date(2026, 12, day), start=time(8), seats=seats,
                                  seats_taken=taken)
            db.session.add(session)
            db.session.flush()
            ids[name] = session.id
        db.session.commit()
    return ids


@pytest.fixture
def ready(app, learning, during):
    """A participant in Makassar (7371) who completed everything; sessions around a full one in Makassar."""
    enrollment = learning.participant(GURU, kode_kabkota="7371")
    complete(app, enrollment)
    ids = add_sessions(app,
                       ("TUK Penuh", "7371", 15, 1, 1),
                       ("TUK Jakarta", "3175", 15, 9, 0),           # same day, other province
                       ("TUK Parepare", "7372", 14, 9, 0),          # same province, a day away
                       ("TUK Gowa", "7306", 25, 9, 0),              # same province, ten days away
                       ("TUK Makassar Jauh", "7371", 30, 9, 0),     # same kab/kota, far in time
                       ("TUK Makassar Penuh", "7371", 16, 2, 2),    # same kab/kota, no seat
                       ("TUK Surabaya", "3578", 18, 9, 0))
    return {"enrollment": enrollment, "ids": ids}


def test_nearest_sessions_same_kabkota_then_province_then_nearest_date(app, ready):
    with app.app_context():
        enrollment = db.session.get(Enrollment, ready["enrollment"])
        full = db.session.get(ExamSession, ready["ids"]["TUK Penuh"])
        nearest = services.nearest_sessions(enrollment, full, today=date(2026, 12, 1))
        assert [s.site.name for s in nearest] == ["TUK Makassar Jauh", "TUK Parepare", "TUK Gowa"]
        # Past sessions are never offered.
        later = services.nearest_sessions(enrollment, full, today=date(2026, 12, 20))
        assert [s.site.name for s in later] == ["TUK Makassar Jauh", "TUK Gowa"]
        # A participant moving from "TUK Makassar Jauh" is not offered the session already held.
        services.register(enrollment, ready["ids"]["TUK Makassar Jauh"], now=DURING)
        db.session.expire(enrollment)
        moving = services.nearest_sessions(enrollment, full, today=date(2026, 12, 1))
        assert [s.site.name for s in moving] == ["TUK Parepare", "TUK Gowa", "TUK Jakarta"]


def form_fields(page: str) -> dict:
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)}


def test_seat_full_offers_three_nearest_sessions_each_one_tap_away(app, ready):
    browser = log_in(app, GURU)
    page = browser.get(URL).get_data(as_text=True)
    fields = form_fields(page)
    refused = browser.post(URL, data={**fields, "action": "register", "session_id": ready["ids"]["TUK Penuh"]},
                           follow_redirects=True)
    assert [r.status_code for r in refused.history] == [303]  # POST-redirect-GET: a reload sends nothing again
    body = refused.get_data(as_text=True)
    offers = re.findall(r'name="session_id" value="(\d+)" class="primary" data-testid="nearest-session"', body)
    names = ("TUK Makassar Jauh", "TUK Parepare", "TUK Gowa")
    assert [int(i) for i in offers] == [ready["ids"][n] for n in names]
    assert "sisa 9 kursi" in body and "WITA" in body
    # One tap: the offered button's form, as sent by the browser.
    tapped = browser.post(URL, data={**form_fields(body), "action": "register", "session_id": offers[1]})
    assert tapped.status_code == 302 and tapped.location.endswith("/sertifikasi/ukppg/konfirmasi")
    assert seats_taken(app, ready["ids"]["TUK Parepare"]) == 1


def listed(browser, query="") -> list[str]:
    response = browser.get(URL + query)
    assert response.status_code == 200
    return re.findall(r"<strong>([^<]+)</strong>", response.get_data(as_text=True))


def test_filters_and_own_kabkota_first(app, ready):
    browser = log_in(app, GURU)
    everything = listed(browser)
    assert everything[:3] == ["TUK Penuh", "TUK Makassar Penuh", "TUK Makassar Jauh"]  # own kab/kota, by date
    assert everything[3:5] == ["TUK Parepare", "TUK Gowa"]  # then the own province, by date
    assert listed(browser, "?provinsi=31") == ["TUK Jakarta"]
    assert listed(browser, "?kabkota=7372") == ["TUK Parepare"]
    assert listed(browser, "?tanggal=2026-12-15") == ["TUK Penuh", "TUK Jakarta"]
    assert listed(browser, "?provinsi=73&tanggal=2026-12-14") == ["TUK Parepare"]
    # Input that is no province, kab/kota or date is ignored: the whole list, never a 500.
    for bad in ("?provinsi=99", "?kabkota=7371x", "?tanggal=2026-13-45", "?tanggal=%F0%9F%98%80",
                "?kabkota=" + "9" * 5000):
        assert listed(browser, bad) == everything
    assert browser.get(URL + "?kabkota=%00").status_code == 422  # NUL bytes: the app-wide clear refusal
