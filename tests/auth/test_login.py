"""The whole OIDC login through the embedded provider: real HTTP, real redirects, RS256 ID tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import func, select

from lms.auth.models import Identity, User
from lms.extensions import db
from tests.auth import flow

GURU = "guru.demo@guru.sd.belajar.id"


def me(session, base):
    return session.get(f"{base}/api/v1/me", timeout=10)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_login_through_the_provider_creates_the_account_and_a_session(live_server):
    s = requests.Session()
    chooser = flow.start_login(s, live_server.url)
    # The app sent the browser to the provider with PKCE (S256) and a nonce.
    first_hop = chooser.history[0]
    query = parse_qs(urlsplit(first_hop.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0] and query["response_type"] == ["code"]
    assert "prompt" not in query
    assert "Pilih akun" in chooser.text and "tamu.demo@gmail.com" in chooser.text

    home = flow.choose_account(s, live_server.url, chooser, GURU)
    assert urlsplit(home.url).path == "/sertifikasi/"  # a teacher lands on the dashboard (here: its gate)
    assert "Guru Demo" in home.text
    body = me(s, live_server.url).json()
    assert body["email"] == GURU and body["name"] == "Guru Demo"
    assert body["participant"] is None
    with live_server.app.app_context():
        identity = db.session.scalar(select(Identity))
        assert identity.issuer == f"{live_server.url}/dev-idp"
        assert identity.subject == "dev-guru-0001"
        assert identity.user.email == GURU


def test_returning_user_is_matched_on_issuer_and_subject(live_server):
    s = requests.Session()
    flow.login(s, live_server.url, GURU)
    flow.logout(s, live_server.url)
    flow.login(s, live_server.url, GURU)
    assert me(s, live_server.url).json()["email"] == GURU
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count(Identity.id))) == 1
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_an_email_held_by_another_identity_is_not_taken_over(live_server):
    from datetime import UTC, datetime

    with live_server.app.app_context():
        now = datetime.now(UTC)
        user = User(email=GURU, name="Asli", created_at=now)
        db.session.add(user)
        db.session.add(Identity(user=user, issuer=f"{live_server.url}/dev-idp", subject="someone-else",
                                email=GURU, created_at=now, last_login_at=now))
        db.session.commit()
    s = requests.Session()
    page = flow.login(s, live_server.url, GURU)
    assert page.status_code == 403
    assert 'data-reason="conflict"' in page.text
    assert me(s, live_server.url).status_code == 401


def test_email_is_stored_lower_case(live_server):
    s = requests.Session()
    flow.login(s, live_server.url, "Guru.Kapital@Guru.SD.Belajar.ID")
    assert me(s, live_server.url).json()["email"] == "guru.kapital@guru.sd.belajar.id"


def test_account_created_before_first_login_is_linked_and_keeps_its_roles(live_server):
    runner = live_server.app.test_cli_runner()
    assert runner.invoke(args=["users", "grant", "ADMIN.demo@belajar.id", "admin_angkatan"]).exit_code == 0
    s = requests.Session()
    flow.login(s, live_server.url, "admin.demo@belajar.id")
    body = me(s, live_server.url).json()
    assert body["roles"] == ["admin_angkatan"] and body["name"] == "Admin Angkatan Demo"
    assert user_count(live_server.app) == 1


def test_login_returns_to_the_page_asked_for(live_server):
    s = requests.Session()
    chooser = flow.start_login(s, live_server.url, next="/api/v1/me")
    page = flow.choose_account(s, live_server.url, chooser, GURU)
    assert urlsplit(page.url).path == "/api/v1/me"
    # An absolute or protocol-relative target is ignored (no open redirect).
    s2 = requests.Session()
    chooser = flow.start_login(s2, live_server.url, next="//evil.example.com/")
    page = flow.choose_account(s2, live_server.url, chooser, GURU)
    assert urlsplit(page.url).netloc == urlsplit(live_server.url).netloc and urlsplit(page.url).path == "/sertifikasi/"


def test_logout_ends_the_session_and_the_next_login_asks_for_the_account(live_server):
    s = requests.Session()
    flow.login(s, live_server.url, GURU)
    # Still signed in at the provider: without a prompt it answers at once, no chooser.
    again = flow.start_login(s, live_server.url)
    assert urlsplit(again.url).path == "/sertifikasi/" and "Pilih akun" not in again.text
    response = flow.logout(s, live_server.url)
    assert response.status_code == 200
    assert me(s, live_server.url).status_code == 401
    chooser = flow.start_login(s, live_server.url)
    query = parse_qs(urlsplit(chooser.history[0].headers["Location"]).query)
    assert query["prompt"] == ["select_account"]
    assert chooser.status_code == 200 and "Pilih akun" in chooser.text
    # Another account can be picked.
    flow.choose_account(s, live_server.url, chooser, "bantuan.demo@belajar.id")
    assert me(s, live_server.url).json()["email"] == "bantuan.demo@belajar.id"


def test_logout_needs_post_with_csrf(live_server):
    s = requests.Session()
    flow.login(s, live_server.url, GURU)
    assert s.get(f"{live_server.url}/auth/logout", timeout=10).status_code == 405
    assert s.post(f"{live_server.url}/auth/logout", timeout=10).status_code == 400
    assert me(s, live_server.url).status_code == 200


def assert_refused(live_server, email, reason):
    s = requests.Session()
    page = flow.login(s, live_server.url, email)
    assert page.status_code == 403
    assert f'data-reason="{reason}"' in page.text
    assert "belajar.id" in page.text
    assert me(s, live_server.url).status_code == 401
    assert user_count(live_server.app) == 0
    return page


def test_non_belajar_id_account_is_refused(live_server):
    page = assert_refused(live_server, "tamu.demo@gmail.com", "domain")
    assert "Gunakan akun belajar.id" in page.text


def test_unverified_email_is_refused(live_server):
    assert_refused(live_server, "belum.verif@guru.sd.belajar.id", "unverified")


def test_look_alike_domain_is_refused(live_server):
    assert_refused(live_server, "palsu@belajar.id.example.com", "domain")


def test_hosted_domain_claim_must_be_allowed_too(live_server):
    assert_refused(live_server, "campur@guru.sd.belajar.id", "domain")


def test_tampered_state_is_refused(live_server):
    s = requests.Session()
    url = flow.callback_url(s, live_server.url, GURU)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    tampered = f"{live_server.url}/auth/callback?code={query['code'][0]}&state={query['state'][0]}x"
    page = s.get(tampered, timeout=10)
    assert page.status_code == 400
    assert 'data-testid="login-failed"' in page.text
    assert me(s, live_server.url).status_code == 401


def test_replayed_callback_is_refused(live_server):
    s = requests.Session()
    url = flow.callback_url(s, live_server.url, GURU)
    assert s.get(url, timeout=10, allow_redirects=False).status_code == 302  # logged in, sent to its page
    flow.logout(s, live_server.url)
    replay = s.get(url, timeout=10)
    assert replay.status_code == 400
    assert me(s, live_server.url).status_code == 401
    # A different browser cannot use the intercepted callback either.
    other = requests.Session()
    assert other.get(url, timeout=10).status_code == 400
    assert me(other, live_server.url).status_code == 401


def test_provider_error_is_shown(live_server):
    s = requests.Session()
    page = s.get(f"{live_server.url}/auth/callback?error=access_denied&state=x", timeout=10)
    assert page.status_code == 400 and "access_denied" in page.text
