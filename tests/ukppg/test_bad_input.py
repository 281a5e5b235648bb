"""No input is a 500: the exam-sites CSV (CLI, admin page, API) and the session id (API and page) refused with 4xx,
nothing imported or registered."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.ukppg.models import ExamSession, ExamSite, Registration
from tests.learning import log_in
from tests.ukppg.helpers import complete, make_sessions, seats_taken
from tests.ukppg.test_admin_sites import GOOD

HEADER = "site,kode_kabkota,address,date,start,seats\n"
ROW = "TUK Satu,7371,Jl. Satu,2026-12-20,08:00,30\n"
GURU = "guru.satu@guru.sd.belajar.id"
OVER_LIMIT = csv.field_size_limit() + 10

BAD_FILES = {
    "lone CR inside a row": (HEADER + "TUK Satu,7371,Jl.\rSatu,2026-12-20,08:00,30\n").encode(),
    "NUL byte": (HEADER + "TUK\x00Satu,7371,Jl. Satu,2026-12-20,08:00,30\n").encode(),
    "invalid UTF-8": HEADER.encode() + b"TUK \xff\xfe Satu,7371,Jl. Satu,2026-12-20,08:00,30\n",
    "header over the csv field limit": ("site" + "x" * OVER_LIMIT + ",kode_kabkota\n" + ROW).encode(),
    "field over the csv field limit": (HEADER + "TUK," + "7" * OVER_LIMIT + ",a,b,c,d\n").encode(),
    "unterminated quote": (HEADER + 'TUK Satu,7371,"Jl. Satu,2026-12-20,08:00,30\n').encode(),
    "superscript seats": (HEADER + "TUK Satu,7371,Jl. Satu,2026-12-20,08:00,²\n").encode(),
    "Arabic-Indic seats": (HEADER + "TUK Satu,7371,Jl. Satu,2026-12-20,08:00,٣٠\n").encode(),
    "seats beyond integer": (HEADER + "TUK Satu,7371,Jl. Satu,2026-12-20,08:00,99999999999\n").encode(),
    "zero seats": (HEADER + "TUK Satu,7371,Jl. Satu,2026-12-20,08:00,0\n").encode(),
    "30 February": (HEADER + "TUK Satu,7371,Jl. Satu,2026-02-30,08:00,30\n").encode(),
    "Arabic-Indic date": (HEADER + "TUK Satu,7371,Jl. Satu,٢٠٢٦-١٢-٢٠,08:00,30\n").encode(),
    "year 0": (HEADER + "TUK Satu,7371,Jl. Satu,0000-12-20,08:00,30\n").encode(),
    "start with a timezone": (HEADER + "TUK Satu,7371,Jl. Satu,2026-12-20,08:00+07:00,30\n").encode(),
    "hour 25": (HEADER + "TUK Satu,7371,Jl. Satu,2026-12-20,25:00,30\n").encode(),
    "site name over the column": (HEADER + "T" * 201 + ",7371,Jl. Satu,2026-12-20,08:00,30\n").encode(),
    "address over the column": (HEADER + "TUK Satu,7371," + "J" * 501 + ",2026-12-20,08:00,30\n").encode(),
    "empty file": b"",
    "header only": HEADER.encode(),
}


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(ExamSite.id))),
                db.session.scalar(select(func.count(ExamSession.id))))


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_sites_files_are_refused_everywhere(app, learning, tmp_path, name):
    data = BAD_FILES[name]
    path = tmp_path / "tuk.csv"
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["ukppg", "import-sites", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Error:" in result.output

    app.config["WTF_CSRF_ENABLED"] = False
    app.test_cli_runner().invoke(args=["users", "grant", "admin.tuk@belajar.id", "admin_angkatan"])
    client = log_in(app, "admin.tuk@belajar.id")
    page = client.post("/admin/ukppg/", data={"file": (io.BytesIO(data), "tuk.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert [r.status_code for r in page.history] == [303], name  # POST-redirect-GET
    assert 'role="alert"' in page.get_data(as_text=True)

    admin = learning.headers("admin.tuk@belajar.id")
    api = client.post("/api/v1/ukppg/sites", headers=admin, data=data, content_type="text/csv")
    assert api.status_code == 422 and api.get_json()["code"] == "invalid", name
    assert stored(app) == (0, 0)


def test_seat_problems_name_the_line(app, learning):
    admin = learning.headers("admin.api@belajar.id")
    app.test_cli_runner().invoke(args=["users", "grant", "admin.api@belajar.id", "admin_angkatan"])
    response = app.test_client().post("/api/v1/ukppg/sites", headers=admin, content_type="text/csv",
                                      data=(HEADER + ROW + "TUK Dua,3175,Jl. Dua,2026-12-21,13:00,²\n").encode())
    assert response.status_code == 422
    assert "baris 3" in response.get_json()["errors"] and "baris 2" not in response.get_json()["errors"]


def test_a_file_with_carriage_returns_as_line_ends_imports(app, learning):
    app.test_cli_runner().invoke(args=["users", "grant", "admin.api@belajar.id", "admin_angkatan"])
    response = app.test_client().post("/api/v1/ukppg/sites", headers=learning.headers("admin.api@belajar.id"),
                                      content_type="text/csv", data=GOOD.replace("\n", "\r").encode())
    assert response.status_code == 200 and response.get_json()["sessions_created"] == 2
    assert stored(app) == (2, 2)


@pytest.fixture
def ready(app, learning, during):
    enrollment = learning.participant(GURU, kode_kabkota="7371")
    complete(app, enrollment)
    [session] = make_sessions(app, ("TUK Makassar", "7371", 5))
    return {"session": session, "headers": learning.headers(GURU), "client": app.test_client()}


def registrations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Registration.id)))


@pytest.mark.parametrize("value,status", [
    ("12", 422), (None, 422), ({"id": 1}, 422), ([1], 422), (1.5, 422), (True, 422), (0, 422), (-1, 422),
    (2_147_483_648, 422), (10**30, 422), (2_147_483_647, 404),
])
def test_session_id_of_the_wrong_kind_is_refused(app, ready, value, status):
    client, headers = ready["client"], ready["headers"]
    response = client.post("/api/v1/ukppg/registrations", headers=headers, json={"session_id": value})
    assert response.status_code == status and response.get_json()["code"] in ("invalid", "not_found")
    changed = client.put("/api/v1/ukppg/registrations/me", headers=headers, json={"session_id": value})
    assert changed.status_code in (404, 422)
    assert registrations(app) == 0 and seats_taken(app, ready["session"]) == 0


@pytest.mark.parametrize("value", ["²", "٣", "99999999999", "abc", "", "1e3", "-4"])
def test_session_id_of_the_wrong_kind_on_the_page(app, ready, value):
    app.config["WTF_CSRF_ENABLED"] = False
    browser = log_in(app, GURU)
    response = browser.post("/sertifikasi/ukppg/", data={"session_id": value, "action": "register"},
                            follow_redirects=True)
    assert [r.status_code for r in response.history] == [303], value  # POST-redirect-GET
    page = response.get_data(as_text=True)
    assert 'data-testid="sessions"' in page and 'class="flash error"' in page  # the form again, with the reason
    assert registrations(app) == 0 and seats_taken(app, ready["session"]) == 0


def test_a_malformed_export_query_is_refused(app, learning):
    app.test_cli_runner().invoke(args=["users", "grant", "admin.api@belajar.id", "admin_angkatan"])
    client, admin = app.test_client(), learning.headers("admin.api@belajar.id")
    assert client.get("/api/v1/ukppg/registrations?format=xml", headers=admin).status_code == 422
    assert client.get("/api/v1/ukppg/registrations?cohort=" + "K" * 33, headers=admin).status_code == 422
    assert client.get("/api/v1/ukppg/registrations?cohort=TIDAK-ADA", headers=admin).get_json() == {
        "registrations": [], "total": 0}
