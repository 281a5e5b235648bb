"""Roles, access decorators, personal API tokens (CLI and Bearer), and the session-with-CSRF path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from lms.auth.models import ApiToken, User
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.auth import flow


def make_tokens(runner, *emails, days=None):
    args = ["tokens", "create", *emails] + (["--days", str(days)] if days else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    return dict(line.split(" ") for line in lines)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_tokens_create_prints_email_and_token_per_line_and_creates_accounts(app, runner):
    tokens = make_tokens(runner, "guru.satu@guru.sd.belajar.id", "GURU.DUA@guru.sd.belajar.id")
    assert set(tokens) == {"guru.satu@guru.sd.belajar.id", "guru.dua@guru.sd.belajar.id"}
    client = app.test_client()
    for email, token in tokens.items():
        body = client.get("/api/v1/me", headers=bearer(token)).get_json()
        assert body["email"] == email and body["roles"] == [] and body["participant"] is None


def test_tokens_are_stored_hashed(app, runner):
    token = make_tokens(runner, "guru.satu@guru.sd.belajar.id")["guru.satu@guru.sd.belajar.id"]
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert token not in (row.token_hash, row.prefix)
        assert len(row.token_hash) == 64 and token.startswith(row.prefix)


def test_tokens_create_is_all_or_nothing(app, runner):
    result = runner.invoke(args=["tokens", "create", "guru.satu@guru.sd.belajar.id", "tamu@gmail.com"])
    assert result.exit_code != 0
    assert "tamu@gmail.com" in result.output and "lms_" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_bearer_token_refusals(app, runner, frozen_clock):
    start = frozen_clock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))
    token = make_tokens(runner, "guru.satu@guru.sd.belajar.id", days=2)["guru.satu@guru.sd.belajar.id"]
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    for header in ({"Authorization": "Bearer lms_not-a-token"}, {"Authorization": f"Basic {token}"},
                   {"Authorization": "Bearer "}):
        response = client.get("/api/v1/me", headers=header)
        assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"
    frozen_clock(start + timedelta(days=2, seconds=1))
    expired = client.get("/api/v1/me", headers=bearer(token))
    assert expired.status_code == 401 and expired.get_json()["code"] == "invalid_token"


def test_revoked_token_is_refused(app, runner):
    token = make_tokens(runner, "guru.satu@guru.sd.belajar.id")["guru.satu@guru.sd.belajar.id"]
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    result = runner.invoke(args=["tokens", "revoke", "guru.satu@guru.sd.belajar.id"])
    assert result.exit_code == 0 and "1 token(s) revoked" in result.output
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "tokens.revoke")) == 1


def test_me_without_credentials_is_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated" and response.get_json()["message"]


def test_users_grant_validates_and_audits(app, runner):
    bad = runner.invoke(args=["users", "grant", "admin.demo@belajar.id", "raja"])
    assert bad.exit_code != 0 and "Peran tidak dikenal" in bad.output
    ok = runner.invoke(args=["users", "grant", "admin.demo@belajar.id", "admin_angkatan"])
    assert ok.exit_code == 0 and "granted" in ok.output
    again = runner.invoke(args=["users", "grant", "admin.demo@belajar.id", "admin_angkatan"])
    assert "already held" in again.output
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roles.grant")).all()
        assert [e.data for e in events] == [{"role": "admin_angkatan"}]
    assert runner.invoke(args=["users", "revoke", "admin.demo@belajar.id", "admin_angkatan"]).exit_code == 0
    shown = runner.invoke(args=["users", "show", "admin.demo@belajar.id"])
    assert "roles=-" in shown.output


@pytest.mark.parametrize("role,allowed", [("guru", False), ("admin_angkatan", False), ("helpdesk", False),
                                          ("superadmin", True)])
def test_role_checks_on_the_users_api(app, runner, role, allowed):
    assert runner.invoke(args=["users", "grant", "actor@belajar.id", role]).exit_code == 0
    token = make_tokens(runner, "actor@belajar.id")["actor@belajar.id"]
    client = app.test_client()
    listing = client.get("/api/v1/users?role=superadmin", headers=bearer(token))
    grant = client.put("/api/v1/users/calon.admin@belajar.id/roles/admin_angkatan", headers=bearer(token))
    if allowed:
        assert listing.status_code == 200
        assert [u["email"] for u in listing.get_json()["users"]] == ["actor@belajar.id"]
        assert grant.status_code == 200 and grant.get_json()["roles"] == ["admin_angkatan"]
        revoke = client.delete("/api/v1/users/calon.admin@belajar.id/roles/admin_angkatan", headers=bearer(token))
        assert revoke.get_json()["roles"] == []
    else:
        assert listing.status_code == 403 and listing.get_json()["code"] == "forbidden"
        assert grant.status_code == 403
        with app.app_context():
            assert db.session.scalar(select(User).where(User.email == "calon.admin@belajar.id")) is None


def test_session_writes_to_the_api_need_the_csrf_header(live_server):
    runner = live_server.app.test_cli_runner()
    runner.invoke(args=["users", "grant", "super.demo@belajar.id", "superadmin"])
    s = requests.Session()
    home = flow.login(s, live_server.url, "super.demo@belajar.id")
    url = f"{live_server.url}/api/v1/users/calon.admin@belajar.id/roles/admin_angkatan"
    refused = s.put(url, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    accepted = s.put(url, headers={"X-CSRFToken": flow.csrf_token(home.text)}, timeout=10)
    assert accepted.status_code == 200 and accepted.json()["roles"] == ["admin_angkatan"]
