"""The admin's exam-sites page: listing, CSV import (whole or nothing), export; teachers refused."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from lms.extensions import db
from lms.ukppg.models import ExamSession
from tests.learning import log_in

GOOD = ("site,kode_kabkota,address,date,start,seats\n"
        "TUK Satu,7371,Jl. Satu,2026-12-20,08:00,30\n"
        "TUK Dua,3175,Jl. Dua,2026-12-21,13:00,10\n")


def test_admin_imports_sites_and_sees_them(app):
    app.config["WTF_CSRF_ENABLED"] = False
    app.test_cli_runner().invoke(args=["users", "grant", "admin.tuk@belajar.id", "admin_angkatan"])
    client = log_in(app, "admin.tuk@belajar.id")
    uploaded = client.post("/admin/ukppg/", data={"file": (io.BytesIO(GOOD.encode()), "tuk.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = uploaded.get_data(as_text=True)
    assert uploaded.status_code == 200 and "TUK Satu" in page and "TUK Dua" in page
    bad = GOOD + "TUK Tiga,9999,Jl. Tiga,2026-12-22,08:00,5\n"
    refused = client.post("/admin/ukppg/", data={"file": (io.BytesIO(bad.replace("TUK Satu", "TUK Lain").encode()),
                                                          "tuk.csv")}, content_type="multipart/form-data",
                          follow_redirects=True)
    assert [r.status_code for r in refused.history] == [303] and "baris 4" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ExamSession.id))) == 2  # nothing from the bad file
    export = client.get("/admin/ukppg/pendaftaran.csv")
    assert export.mimetype == "text/csv" and export.get_data(as_text=True).startswith("number,email")


def test_teachers_cannot_manage_sites(app):
    client = log_in(app, "guru.biasa@guru.sd.belajar.id")
    assert client.get("/admin/ukppg/").status_code == 403
    assert client.get("/admin/ukppg/pendaftaran.csv").status_code == 403


def test_sites_api_imports_whole_or_nothing(app, learning):
    app.test_cli_runner().invoke(args=["users", "grant", "admin.api@belajar.id", "admin_angkatan"])
    admin = learning.headers("admin.api@belajar.id")
    client = app.test_client()
    ok = client.post("/api/v1/ukppg/sites", headers=admin, data=GOOD, content_type="text/csv")
    assert ok.status_code == 200 and ok.get_json() == {"sites_created": 2, "sessions_created": 2,
                                                       "sessions_updated": 0}
    bad = client.post("/api/v1/ukppg/sites", headers=admin, content_type="text/csv",
                      data=GOOD + "TUK Tiga,9999,Jl. Tiga,2026-12-22,08:00,5\n")
    assert bad.status_code == 422 and "baris 4" in bad.get_json()["errors"]
    listing = client.get("/api/v1/ukppg/sites", headers=admin).get_json()["sessions"]
    assert sorted(s["site"] for s in listing) == ["TUK Dua", "TUK Satu"]
    assert all(s["seats_taken"] == 0 for s in listing)
    teacher = learning.headers("guru.x@guru.sd.belajar.id")
    assert client.get("/api/v1/ukppg/sites", headers=teacher).status_code == 403
    assert client.post("/api/v1/ukppg/sites", headers=teacher, data=GOOD, content_type="text/csv").status_code == 403
