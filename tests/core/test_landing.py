"""After login each role lands on its own working page; the home page sends a logged-in user there too."""

from __future__ import annotations

import pytest

from lms.auth import services as auth_services
from lms.extensions import db
from tests.learning import DURING, log_in


@pytest.mark.parametrize(("roles", "home"), [
    ((), "/sertifikasi/"),
    (("admin_angkatan",), "/admin/"),
    (("helpdesk",), "/bantuan/antrian"),
    (("dinas",), "/penetapan/"),
    (("lpmp",), "/penetapan/"),
    (("superadmin",), "/akun/peran"),
    (("helpdesk", "dinas"), "/bantuan/antrian"),
])
def test_home_sends_each_role_to_its_page(app, roles, home):
    email = "staf.landing@belajar.id"
    client = log_in(app, email)
    with app.app_context():
        user = auth_services.find_user(email)
        for role in roles:
            auth_services.grant_role(user, role, now=DURING)
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == home


def test_zone_choice_is_kept_and_used_for_times(app):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, "staf.zona@belajar.id")
    response = client.post("/zona", data={"tz": "Asia/Makassar", "next": "/bantuan/"})
    assert response.status_code == 302 and response.headers["Location"] == "/bantuan/"
    assert "lms_tz=Asia/Makassar" in response.headers["Set-Cookie"]
    ignored = client.post("/zona", data={"tz": "Europe/Paris"})
    assert "Set-Cookie" not in ignored.headers


def test_moment_reads_in_the_viewer_zone_with_its_label(app):
    from datetime import UTC, datetime

    from lms.core.formatting import moment

    instant = datetime(2027, 1, 9, 1, 0, tzinfo=UTC)
    with app.test_request_context("/", headers={"Cookie": "lms_tz=Asia/Makassar"}):
        assert moment(instant) == "9 Januari 2027, 09.00 WITA"
        assert moment(instant, "Asia/Jakarta") == "9 Januari 2027, 08.00 WIB"
    with app.test_request_context("/", headers={"Cookie": "lms_lang=en"}):
        assert moment(instant) == "9 January 2027, 08:00 WIB"


def test_the_superadmin_grants_and_revokes_a_role_on_its_page(app):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, "super.peran@belajar.id")
    with app.app_context():
        auth_services.grant_role(auth_services.find_user("super.peran@belajar.id"), "superadmin", now=DURING)
        db.session.commit()
    granted = client.post("/akun/peran", data={"action": "grant", "email": "Dinas.Baru@belajar.id", "role": "dinas"})
    assert granted.status_code == 302
    assert "dinas.baru@belajar.id" in client.get("/akun/peran").get_data(as_text=True)
    client.post("/akun/peran", data={"action": "grant", "email": "tamu@gmail.com", "role": "dinas"})
    unconfirmed = {"action": "revoke", "email": "dinas.baru@belajar.id", "role": "dinas"}
    client.post("/akun/peran", data=unconfirmed)
    with app.app_context():
        assert auth_services.find_user("dinas.baru@belajar.id").roles == ["dinas"]
        client.post("/akun/peran", data={**unconfirmed, "confirm": "yes"})
        db.session.expire_all()
        assert auth_services.find_user("dinas.baru@belajar.id").roles == []
    assert log_in(app, "bukan.super@belajar.id").get("/akun/peran").status_code == 403
