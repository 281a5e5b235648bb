"""UKPPPG registration: refusals, window edges, change and cancel, export, sites import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.ukppg import services
from lms.ukppg.models import Registration
from tests.learning import log_in
from tests.ukppg.helpers import complete, make_sessions, seats_taken

WIB = ZoneInfo("Asia/Jakarta")
GURU = "guru.satu@guru.sd.belajar.id"


@pytest.fixture
def ready(app, learning, during):
    """A participant (Makassar) who completed everything, and three sessions."""
    cohort_id = learning.cohort()
    enrollment_id = learning.participant(GURU, cohort_id=cohort_id, kode_kabkota="7371")
    complete(app, enrollment_id)
    sessions = make_sessions(app, ("TUK Jakarta", "3175", 2), ("TUK Makassar", "7371", 2), ("TUK Penuh", "3578", 1))
    return {"enrollment": enrollment_id, "cohort": cohort_id, "sessions": sessions, "headers": learning.headers(GURU),
            "client": app.test_client()}


def post(ready, session_id):
    return ready["client"].post("/api/v1/ukppg/registrations", headers=ready["headers"],
                                json={"session_id": session_id})


def test_sessions_list_own_province_first_with_seats_left(ready):
    body = ready["client"].get("/api/v1/ukppg/sessions", headers=ready["headers"]).get_json()
    assert [s["site"] for s in body["sessions"]] == ["TUK Makassar", "TUK Jakarta", "TUK Penuh"]
    first = body["sessions"][0]
    assert (first["province"], first["seats"], first["seats_left"], first["start"]) == ("73", 2, 2, "08:00")


def test_register_then_already_registered(app, ready):
    first = post(ready, ready["sessions"][1])
    assert first.status_code == 201
    assert first.get_json()["number"].startswith("UKPPPG-2026-") and first.get_json()["session_id"] == \
        ready["sessions"][1]
    again = post(ready, ready["sessions"][0])
    assert again.status_code == 409 and again.get_json()["code"] == "already_registered"
    assert seats_taken(app, ready["sessions"][1]) == 1 and seats_taken(app, ready["sessions"][0]) == 0
    progress = ready["client"].get("/api/v1/me/progress", headers=ready["headers"]).get_json()
    assert progress["registration"]["registered"] is True
    assert progress["registration"]["registration"]["number"] == first.get_json()["number"]


def test_seat_full(app, learning, ready):
    other = learning.participant("guru.dua@guru.sd.belajar.id", cohort_id=ready["cohort"])
    complete(app, other)
    full = ready["sessions"][2]
    assert post(ready, full).status_code == 201
    response = app.test_client().post("/api/v1/ukppg/registrations", json={"session_id": full},
                                      headers=learning.headers("guru.dua@guru.sd.belajar.id"))
    assert response.status_code == 409 and response.get_json()["code"] == "seat_full"
    assert seats_taken(app, full) == 1


def test_not_complete_and_not_participant(app, learning, during):
    learning.participant("belum@guru.sd.belajar.id")
    [session] = make_sessions(app, ("TUK", "3175", 5))
    client = app.test_client()
    response = client.post("/api/v1/ukppg/registrations", headers=learning.headers("belum@guru.sd.belajar.id"),
                           json={"session_id": session})
    assert response.status_code == 403 and response.get_json()["code"] == "not_complete"
    stranger = client.post("/api/v1/ukppg/registrations", headers=learning.headers("tamu@belajar.id"),
                           json={"session_id": session})
    assert stranger.status_code == 403 and stranger.get_json()["code"] == "not_participant"


def test_bad_requests(ready):
    assert post(ready, 99999).status_code == 404
    for body in ({"session_id": "1"}, {"session_id": True}, {}):
        response = ready["client"].post("/api/v1/ukppg/registrations", headers=ready["headers"], json=body)
        assert response.status_code == 422 and response.get_json()["code"] == "invalid"


@pytest.mark.parametrize("moment,status", [
    (datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB), 201),
    (datetime(2026, 12, 1, 0, 0, 0, tzinfo=WIB), 423),
])
def test_default_window_ends_with_the_learning_window(ready, frozen_clock, moment, status):
    frozen_clock(moment.astimezone(UTC))
    response = post(ready, ready["sessions"][0])
    assert response.status_code == status
    if status == 423:
        assert response.get_json()["code"] == "window_closed"


def test_an_explicit_registration_window(app, ready, frozen_clock):
    with app.app_context():
        from lms.cohorts.models import Cohort
        from lms.cohorts.services import set_windows

        cohort = db.session.scalar(select(Cohort))
        set_windows(cohort, learning_start=cohort.learning_start, learning_end=cohort.learning_end,
                    timezone=cohort.timezone, registration_start=datetime(2026, 11, 25).date(),
                    registration_end=datetime(2026, 12, 3).date())
        db.session.commit()
    frozen_clock(datetime(2026, 11, 24, 23, 59, 59, tzinfo=WIB).astimezone(UTC))
    early = post(ready, ready["sessions"][0])
    assert early.status_code == 423 and "belum dibuka" in early.get_json()["message"]
    frozen_clock(datetime(2026, 12, 2, 12, tzinfo=WIB).astimezone(UTC))  # after learning, inside registration
    assert post(ready, ready["sessions"][0]).status_code == 201


def test_change_and_cancel_move_seats(app, ready):
    a, b, full = ready["sessions"]
    assert post(ready, a).status_code == 201
    client, headers = ready["client"], ready["headers"]
    moved = client.put("/api/v1/ukppg/registrations/me", headers=headers, json={"session_id": b})
    assert moved.status_code == 200 and moved.get_json()["session_id"] == b
    assert (seats_taken(app, a), seats_taken(app, b)) == (0, 1)
    # Fill the last session, then try to move there: refused, and the registration stays where it was.
    with app.app_context():
        from lms.ukppg.models import ExamSession

        db.session.get(ExamSession, full).seats_taken = 1
        db.session.commit()
    refused = client.put("/api/v1/ukppg/registrations/me", headers=headers, json={"session_id": full})
    assert refused.status_code == 409 and refused.get_json()["code"] == "seat_full"
    assert client.get("/api/v1/ukppg/registrations/me", headers=headers).get_json()["session_id"] == b
    assert seats_taken(app, b) == 1
    cancelled = client.delete("/api/v1/ukppg/registrations/me", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled"] is True
    assert seats_taken(app, b) == 0
    assert client.get("/api/v1/ukppg/registrations/me", headers=headers).status_code == 404
    assert client.delete("/api/v1/ukppg/registrations/me", headers=headers).status_code == 404
    again = post(ready, a)
    assert again.status_code == 201  # a new registration, with a new number
    with app.app_context():
        numbers = db.session.scalars(select(Registration.number)).all()
        assert len(set(numbers)) == 2


@pytest.mark.parametrize("session_id", [999999, 2147483647])
def test_moving_to_a_session_that_does_not_exist_is_404_and_keeps_the_registration(app, ready, session_id):
    a = ready["sessions"][0]
    assert post(ready, a).status_code == 201
    client, headers = ready["client"], ready["headers"]
    refused = client.put("/api/v1/ukppg/registrations/me", headers=headers, json={"session_id": session_id})
    assert refused.status_code == 404 and refused.get_json()["code"] == "not_found"
    assert client.get("/api/v1/ukppg/registrations/me", headers=headers).get_json()["session_id"] == a
    assert seats_taken(app, a) == 1


def test_no_change_or_cancel_after_registration_closes(ready, frozen_clock):
    assert post(ready, ready["sessions"][0]).status_code == 201
    frozen_clock(datetime(2026, 12, 1, tzinfo=WIB).astimezone(UTC))
    client, headers = ready["client"], ready["headers"]
    assert client.delete("/api/v1/ukppg/registrations/me", headers=headers).status_code == 423
    assert client.put("/api/v1/ukppg/registrations/me", headers=headers,
                      json={"session_id": ready["sessions"][1]}).status_code == 423


def test_a_racing_duplicate_gives_its_seat_back(app, ready, monkeypatch):
    """The unique index, not the early check, decides: the losing request's seat goes back (savepoint)."""
    a, b, _ = ready["sessions"]
    assert post(ready, a).status_code == 201
    monkeypatch.setattr(services, "active_registration", lambda enrollment: None)
    with app.app_context():
        enrollment = db.session.get(Enrollment, ready["enrollment"])
        with pytest.raises(services.AlreadyRegistered):
            services.register(enrollment, b, now=datetime(2026, 11, 20, tzinfo=UTC))
        db.session.commit()
    assert (seats_taken(app, a), seats_taken(app, b)) == (1, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_admin_export_json_and_csv(app, learning, ready):
    assert post(ready, ready["sessions"][1]).status_code == 201
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "grant", "admin.x@belajar.id", "admin_angkatan"])
    admin = learning.headers("admin.x@belajar.id")
    client = app.test_client()
    body = client.get("/api/v1/ukppg/registrations", headers=admin).get_json()
    assert body["total"] == 1
    row = body["registrations"][0]
    assert (row["email"], row["site"], row["date"], row["start"]) == (GURU, "TUK Makassar", "2026-12-21", "08:00")
    csv_text = client.get("/api/v1/ukppg/registrations?format=csv", headers=admin).get_data(as_text=True)
    header, line = csv_text.splitlines()
    assert header == "number,email,name,cohort,site,kode_kabkota,date,start (waktu setempat),zona,registered_at (WIB)"
    # Registered at DURING (03:00 UTC) = 10:00 WIB; the session starts 08:00 at the site, in WITA.
    assert line.endswith(",2026-12-21,08:00,WITA,2026-11-20 10:00") and row["number"] in line
    assert "Z" not in line.split(",")[-1] and "T" not in line.split(",")[-1] and "+00" not in line
    assert client.get("/api/v1/ukppg/registrations", headers=ready["headers"]).status_code == 403


def test_import_sites_cli(app, tmp_path):
    path = tmp_path / "tuk.csv"
    path.write_text("site,kode_kabkota,address,date,start,seats\n"
                    "TUK A,7371,Jl. Satu,2026-12-20,08:00,30\n"
                    "TUK A,7371,Jl. Satu,2026-12-20,13:00,30\n"
                    "TUK B,3175,Jl. Dua,2026-12-21,08:00,10\n")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ukppg", "import-sites", str(path)])
    assert ok.exit_code == 0 and "sites_created=2 sessions_created=3" in ok.output
    again = runner.invoke(args=["ukppg", "import-sites", str(path)])
    assert "sites_created=0 sessions_created=0 sessions_updated=0" in again.output
    path.write_text("site,kode_kabkota,address,date,start,seats\n"
                    "TUK A,7371,Jl. Satu,2026-12-20,08:00,35\n"
                    "TUK C,9999,Jl. Tiga,20-12-2026,8 pagi,0\n")
    bad = runner.invoke(args=["ukppg", "import-sites", str(path)])
    assert bad.exit_code == 1 and "baris 3" in bad.output
    with app.app_context():
        from lms.ukppg.models import ExamSession

        assert db.session.scalar(select(func.max(ExamSession.seats))) == 30  # nothing half-applied


def test_dashboard_button_appears_only_when_complete_and_open(app, learning, during):
    enrollment_id = learning.participant(GURU)
    make_sessions(app, ("TUK", "3175", 5))
    client = log_in(app, GURU)
    page = client.get("/sertifikasi/").get_data(as_text=True)
    assert 'data-testid="daftar-ukppg"' not in page and 'data-testid="missing"' in page
    with app.app_context():
        assert db.session.get(Enrollment, enrollment_id).completed_at is None
    # Eligibility on the dashboard follows real progress, so complete the curriculum through the API.
    headers = learning.headers(GURU)
    api = app.test_client()
    progress = api.get("/api/v1/me/progress", headers=headers).get_json()
    for module in progress["modules"]:
        for materi in module["materi"]:
            api.post(f"/api/v1/materi/{materi['id']}/complete", headers=headers)
        questions = api.get(f"/api/v1/posttests/{module['id']}", headers=headers).get_json()["questions"]
        api.post(f"/api/v1/posttests/{module['id']}/attempts", headers=headers,
                 json={"answers": {str(q["id"]): q["options"][0]["id"] for q in questions}})
        prompts = api.get(f"/api/v1/journals/{module['id']}", headers=headers).get_json()["prompts"]
        api.put(f"/api/v1/journals/{module['id']}", headers=headers,
                json={"answers": {str(p["id"]): "x" * p["min_length"] for p in prompts}, "submit": True})
    page = client.get("/sertifikasi/").get_data(as_text=True)
    assert 'data-testid="daftar-ukppg"' in page
    with app.app_context():
        assert db.session.get(Enrollment, enrollment_id).completed_at is not None
    # After the window: no button, and it says registration has closed.
    from lms.core import time as clock

    clock.freeze(datetime(2026, 12, 1, tzinfo=WIB) + timedelta(seconds=1))
    page = client.get("/sertifikasi/").get_data(as_text=True)
    assert 'data-testid="daftar-ukppg"' not in page and "sudah ditutup" in page


def test_admin_csv_export_is_in_the_admins_chosen_zone(app, ready):
    assert post(ready, ready["sessions"][0]).status_code == 201
    app.test_cli_runner().invoke(args=["users", "grant", "admin.x@belajar.id", "admin_angkatan"])
    admin = log_in(app, "admin.x@belajar.id")
    admin.set_cookie("lms_tz", "Asia/Jayapura")
    header, line = admin.get("/admin/ukppg/pendaftaran.csv").get_data(as_text=True).splitlines()
    assert header.endswith(",zona,registered_at (WIT)")
    assert line.endswith(",2026-12-20,08:00,WIB,2026-11-20 12:00")  # TUK Jakarta; 03:00 UTC = 12:00 WIT
