"""The floor of ``bench/bench_http.py``: the bare endpoint sends the app's own progress statements."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import make_url

from bench import bare_app
from bench.bench_http import dashboard_statements, progress_statements
from lms.dashboard.services import _PAGE_ROWS
from lms.extensions import db
from lms.modules.progress import _OWN_ROWS
from tests.learning import ApiParticipant, log_in

pytestmark = pytest.mark.postgres


def test_the_floor_answers_with_the_rows_the_app_reads_for_the_token(pg_app, pg_learning, during, monkeypatch):
    enrollment_id = pg_learning.participant()
    headers = pg_learning.headers()
    client = pg_app.test_client()
    module = client.get("/api/v1/me/progress", headers=headers).get_json()["modules"][0]
    materi_id = module["materi"][0]["id"]
    assert client.post(f"/api/v1/materi/{materi_id}/complete", headers=headers).status_code < 300
    with pg_app.app_context():
        url = make_url(str(db.engine.url)).set(drivername="postgresql").render_as_string(hide_password=False)
        expected = sorted(list(r) for r in _OWN_ROWS.rows(db.session(), {"enrollment_id": enrollment_id}))
        db.session.remove()
    statements = progress_statements(pg_app)
    assert "api_tokens" in json.loads(statements)["identity"]
    monkeypatch.setenv("BARE_DATABASE_URL", url)
    monkeypatch.setenv("BARE_PROGRESS_STATEMENTS", statements)
    floor = bare_app.create_app()
    bare = floor.test_client()
    try:
        answer = bare.get("/progress", headers=headers)
        unknown = bare.get("/progress", headers={"Authorization": "Bearer lms_unknown"})
        anonymous = bare.get("/progress")
    finally:
        floor.extensions["bare_connection"]["conn"].close()

    assert answer.status_code == 200
    assert sorted(answer.get_json()["rows"]) == expected
    assert [0, materi_id] in [row[:2] for row in expected]
    assert unknown.status_code == 404
    assert anonymous.status_code == 401


def test_the_dashboard_floor_reads_the_apps_session_cookie_and_answers_the_page_rows(pg_app, pg_learning, during,
                                                                                   monkeypatch):
    enrollment_id = pg_learning.participant()
    browser = log_in(pg_app, ApiParticipant.email)
    assert browser.get("/sertifikasi/").status_code == 200
    cookie = browser.get_cookie(pg_app.config["SESSION_COOKIE_NAME"]).value
    with pg_app.app_context():
        url = make_url(str(db.engine.url)).set(drivername="postgresql").render_as_string(hide_password=False)
        expected = sorted(_PAGE_ROWS.rows(db.session(), {"enrollment_id": enrollment_id,
                                                        "email": ApiParticipant.email}), key=repr)
        db.session.remove()
    monkeypatch.setenv("BARE_DATABASE_URL", url)
    monkeypatch.setenv("BARE_DASHBOARD_STATEMENTS", dashboard_statements(pg_app))
    floor = bare_app.create_app()
    bare = floor.test_client()
    try:
        bare.set_cookie(pg_app.config["SESSION_COOKIE_NAME"], cookie)
        answer = bare.get("/dashboard")
        bare.set_cookie(pg_app.config["SESSION_COOKIE_NAME"], cookie[:-2] + "xx")  # a forged signature
        forged = bare.get("/dashboard")
    finally:
        floor.extensions["bare_connection"]["conn"].close()

    assert answer.status_code == 200
    assert sorted((tuple(r) for r in answer.get_json()["rows"]), key=repr) == [tuple(r) for r in expected]
    assert [r[0] for r in expected].count(3) == 1  # the determination status row is among them
    assert forged.status_code == 401
