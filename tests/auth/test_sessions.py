"""Browser sessions live on the server: logout, "log out of every device" and the helpdesk end copied cookies."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from PIL import Image
from sqlalchemy import func, select

from lms.auth.models import User, UserSession
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.auth import flow
from tests.learning import log_in

GURU = "guru.demo@guru.sd.belajar.id"
OTHER = "guru.lain@guru.sd.belajar.id"
AGENT = "bantuan.satu@belajar.id"


def me(session, base):
    return session.get(f"{base}/api/v1/me", timeout=10)


def copy_of(session: requests.Session) -> requests.Session:
    """Another browser holding the same cookies (e.g. copied off a shared computer)."""
    other = requests.Session()
    other.cookies.update(session.cookies)
    return other


def live_sessions(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(UserSession.id)).join(User, User.id == UserSession.user_id)
                                 .where(User.email == email, UserSession.revoked_at.is_(None)))


def test_a_cookie_copied_before_logout_is_refused_after_it(live_server):
    base = live_server.url
    s = requests.Session()
    flow.login(s, base, GURU)
    thief = copy_of(s)
    assert me(thief, base).json()["email"] == GURU  # the copy works while the session lives
    assert live_sessions(live_server.app, GURU) == 1

    assert flow.logout(s, base).status_code == 200
    assert me(thief, base).status_code == 401
    assert me(thief, base).json()["code"] == "unauthenticated"
    page = thief.get(f"{base}/sertifikasi/", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and urlsplit(page.headers["Location"]).path == "/auth/login"
    assert live_sessions(live_server.app, GURU) == 0
    # Logging in again through the provider gives a new, working session.
    flow.login(s, base, GURU)
    assert me(s, base).json()["email"] == GURU and me(thief, base).status_code == 401


def test_a_copied_cookie_of_a_test_client_is_refused_after_logout(app):
    client = log_in(app, GURU)
    assert client.get("/api/v1/me").status_code == 200
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/auth/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie(cookie.key, cookie.value)
    assert replay.get("/api/v1/me").status_code == 401


def test_a_session_without_a_server_record_is_logged_out(app):
    """A signed cookie that names a user but no live session (e.g. from before this release) is not enough."""
    client = log_in(app, GURU)
    with client.session_transaction() as session:
        session.pop("lms_sid")
    assert client.get("/api/v1/me").status_code == 401


def test_log_out_of_every_device_ends_both_sessions_and_not_others(live_server):
    base = live_server.url
    laptop, school_pc, colleague = requests.Session(), requests.Session(), requests.Session()
    flow.login(laptop, base, GURU)
    flow.login(school_pc, base, GURU)
    flow.login(colleague, base, OTHER)
    assert live_sessions(live_server.app, GURU) == 2

    home = laptop.get(f"{base}/", timeout=10)
    assert 'data-testid="logout-everywhere"' in home.text
    page = laptop.post(f"{base}/auth/logout-everywhere", data={"csrf_token": flow.csrf_token(home.text)}, timeout=10)
    assert page.status_code == 200 and 'data-testid="logged-out"' in page.text
    assert page.history[0].status_code == 302
    assert me(laptop, base).status_code == 401 and me(school_pc, base).status_code == 401
    assert me(colleague, base).json()["email"] == OTHER
    assert live_sessions(live_server.app, GURU) == 0
    with live_server.app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.revoke_sessions"))
        guru_id = db.session.scalar(select(User.id).where(User.email == GURU))
        assert event.actor_id == guru_id and event.subject_id == str(guru_id) and event.data["sessions"] == 2


def test_log_out_of_every_device_needs_a_session_and_csrf(live_server):
    base = live_server.url
    s = requests.Session()
    assert s.post(f"{base}/auth/logout-everywhere", timeout=10).status_code == 400  # no CSRF token
    flow.login(s, base, GURU)
    assert s.post(f"{base}/auth/logout-everywhere", timeout=10).status_code == 400
    assert me(s, base).status_code == 200 and live_sessions(live_server.app, GURU) == 1


def test_the_page_after_logout_wipes_browser_drafts(live_server):
    s = requests.Session()
    flow.login(s, live_server.url, GURU)
    page = flow.logout(s, live_server.url)
    assert urlsplit(page.url).path == "/auth/keluar"
    assert page.headers["Clear-Site-Data"] == '"storage"'
    assert "data-wipe-storage" in page.text and "session.js" in page.text
    assert 'data-testid="login"' in page.text


def test_bearer_tokens_are_separate_from_browser_sessions(app, learning):
    headers = learning.headers(GURU)
    client = log_in(app, GURU)
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/auth/logout-everywhere")
    assert client.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200


# --- helpdesk -----------------------------------------------------------------------------------------------------

def open_ticket(app, learning) -> int:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 40, 40)).save(buf, format="PNG")
    response = app.test_client().post("/api/v1/tickets", headers=learning.headers(GURU), data={
        "category": "lainnya", "full_name": "Guru Demo", "nik": "1101010101010001", "belajar_id_account": GURU,
        "satuan_pendidikan": "SD Negeri 1", "description": "Saya lupa keluar di komputer sekolah.",
        "screenshot": (io.BytesIO(buf.getvalue()), "undangan.png")}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_helpdesk_ends_every_session_of_the_reporter_and_it_is_audited(app, learning, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    assert app.test_cli_runner().invoke(args=["users", "grant", AGENT, "helpdesk"]).exit_code == 0
    ticket_id = open_ticket(app, learning)
    school_pc, phone, colleague = log_in(app, GURU), log_in(app, GURU), log_in(app, OTHER)
    agent = log_in(app, AGENT)
    app.config["WTF_CSRF_ENABLED"] = False

    page = agent.get(f"/bantuan/{ticket_id}").get_data(as_text=True)
    assert 'data-testid="revoke-sessions"' in page
    response = agent.post(f"/bantuan/{ticket_id}/akhiri-sesi")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bantuan/{ticket_id}")
    assert school_pc.get("/api/v1/me").status_code == 401 and phone.get("/api/v1/me").status_code == 401
    assert colleague.get("/api/v1/me").status_code == 200 and agent.get("/api/v1/me").status_code == 200
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.revoke_sessions")).all()
        agent_id = db.session.scalar(select(User.id).where(User.email == AGENT))
        guru_id = db.session.scalar(select(User.id).where(User.email == GURU))
        assert (event.actor_id, event.subject_id) == (agent_id, str(guru_id))
        assert event.data == {"sessions": 2, "reason": "helpdesk", "ticket_id": ticket_id}


def test_a_teacher_cannot_end_sessions_from_a_ticket(app, learning, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    ticket_id = open_ticket(app, learning)
    teacher = log_in(app, GURU)
    app.config["WTF_CSRF_ENABLED"] = False
    assert 'data-testid="revoke-sessions"' not in teacher.get(f"/bantuan/{ticket_id}").get_data(as_text=True)
    assert teacher.post(f"/bantuan/{ticket_id}/akhiri-sesi").status_code == 403
    assert teacher.get("/api/v1/me").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.action == "auth.revoke_sessions")) == 0
