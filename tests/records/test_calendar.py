"""Calendar feeds: private per teacher (revocable), per cohort for admins; parsed back with icalendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.learning import ApiParticipant, Learning, log_in
from tests.records.journey import finish_module, grant
from tests.ukppg.helpers import make_sessions


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    assert {tz["TZID"] for tz in calendar.walk("VTIMEZONE")}  # every zone used is described
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_teacher_feed_in_own_zone_with_the_exam_session(app, during):
    learning = Learning(app)
    teacher = ApiParticipant(app, learning)
    finish_module(teacher, 0)
    finish_module(teacher, 1)
    [session] = make_sessions(app, ("TUK Jayapura", "9171", 5))
    assert teacher.client.post("/api/v1/ukppg/registrations", headers=teacher.headers,
                               json={"session_id": session}).status_code == 201
    assert teacher.client.get("/api/v1/me/calendar", headers=teacher.headers).get_json() == {"url": None}
    created = teacher.client.post("/api/v1/me/calendar", headers=teacher.headers)
    assert created.status_code == 201
    url = created.get_json()["url"]
    assert teacher.client.get("/api/v1/me/calendar", headers=teacher.headers).get_json() == {"url": url}
    feed = app.test_client().get(url.removeprefix("http://localhost"))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    found = events(feed.data)
    end = found["Batas akhir belajar UJI-1"]["DTEND"].dt
    assert end == datetime(2026, 11, 30, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert end.tzinfo.key == "Asia/Jakarta"
    assert "Pendaftaran UKPPPG" in found
    exam = found["UKPPPG TUK Jayapura"]["DTSTART"].dt
    assert exam == datetime(2026, 12, 20, 8, 0, tzinfo=ZoneInfo("Asia/Jayapura")) and exam.tzinfo.key == "Asia/Jayapura"
    # a new address turns the old one off; revoking turns every one off
    second = teacher.client.post("/api/v1/me/calendar", headers=teacher.headers).get_json()["url"]
    assert app.test_client().get(url.removeprefix("http://localhost")).status_code == 404
    assert teacher.client.delete("/api/v1/me/calendar", headers=teacher.headers).status_code == 204
    assert app.test_client().get(second.removeprefix("http://localhost")).status_code == 404


def test_cohort_feed_for_admins_only(app, during):
    learning = Learning(app)
    learning.cohort(code="UJI-WITA", timezone="Asia/Makassar")
    grant(app, "admin@belajar.id", "admin_angkatan")
    admin = log_in(app, "admin@belajar.id")
    assert admin.get("/kalender").status_code == 200
    csrf_page = admin.get("/kalender").get_data(as_text=True)
    assert "Buat alamat kalender" in csrf_page
    url = app.test_client().post("/api/v1/me/calendar", headers=learning.headers("admin@belajar.id")).get_json()["url"]
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = app.test_client().get(f"/kalender/{secret}/angkatan/UJI-WITA.ics")
    assert feed.status_code == 200
    found = events(feed.data)
    start = found["Jendela belajar UJI-WITA dibuka"]["DTSTART"].dt
    assert start == datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Makassar")) and start.tzinfo.key == "Asia/Makassar"
    # a teacher's secret opens no cohort feed
    other = app.test_client().post("/api/v1/me/calendar", headers=learning.headers()).get_json()["url"]
    teacher_secret = other.rsplit("/", 1)[1].removesuffix(".ics")
    assert app.test_client().get(f"/kalender/{teacher_secret}/angkatan/UJI-WITA.ics").status_code == 404
