"""The floor of ``bench/bench_http.py``: the bare endpoint sends the app's own progress statements."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import make_url

from bench import bare_app
from bench.bench_http import progress_statements
from lms.extensions import db
from lms.modules.progress import _OWN_ROWS

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
