"""The hot read paths send a fixed, small number of SQL statements whatever the number of modules, authentication
included: ``GET /api/v1/me/progress`` at most 2 (bearer token or session cookie), the dashboard at most 2. The
curriculum's structure comes from the per-process cache, which an import invalidates; a read never writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.auth.models import ApiToken
from lms.extensions import db
from lms.modules import cache
from lms.modules.curriculum_file import import_curriculum
from tests.learning import curriculum_data, log_in
from tests.queries import counted, writes

PROGRESS_STATEMENTS = 2
DASHBOARD_STATEMENTS = 2  # session user with the enrollment, progress rows with the account's determination status
EMAIL = "guru.satu@guru.sd.belajar.id"


def progressed_participant(app, learning, modules: int) -> dict:
    """A participant of a ``modules``-module curriculum whose first module's materi are done; returns the bearer
    headers (the token was used once, so its last use is recent)."""
    curriculum_id = learning.curriculum(code=f"KUR-{modules}", modules=modules, materi=3, questions=2, prompts=2)
    cohort_id = learning.cohort(code=f"C-{modules}", curriculum_id=curriculum_id)
    learning.participant(cohort_id=cohort_id)
    headers = learning.headers()
    client = app.test_client()
    progress = client.get("/api/v1/me/progress", headers=headers).get_json()
    for materi in progress["modules"][0]["materi"]:
        assert client.post(f"/api/v1/materi/{materi['id']}/complete", headers=headers).status_code == 200
    return headers


def cookie_client(app):
    """A test client with a live browser session of the participant."""
    return log_in(app, EMAIL)



def check_progress(body: dict, modules: int) -> None:
    assert len(body["modules"]) == modules
    assert [m["done"] for m in body["modules"][0]["materi"]] == [True, True, True]
    assert body["modules"][1]["materi"][0]["done"] is False
    assert body["next"] == {"kind": "posttest", "module_id": body["modules"][0]["id"], "materi_id": None}


@pytest.mark.parametrize("modules", [4, 40])
def test_dashboard_statement_count_is_fixed(app, learning, during, modules):
    progressed_participant(app, learning, modules)
    client = cookie_client(app)
    client.get("/sertifikasi/")  # the structure is cached from here on
    with counted(app) as statements:
        page = client.get("/sertifikasi/")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('data-testid="module-') == modules
    assert 'data-testid="my-selection-headline"' not in page.get_data(as_text=True)  # in no published run
    assert len(statements) <= DASHBOARD_STATEMENTS, statements
    assert writes(statements) == []


@pytest.mark.parametrize("modules", [4, 40])
@pytest.mark.parametrize("auth", ["bearer", "session"])
def test_progress_api_statement_count_is_fixed(app, learning, during, modules, auth):
    headers = progressed_participant(app, learning, modules)
    client = cookie_client(app) if auth == "session" else app.test_client()
    if auth == "session":
        headers = {}
    with counted(app) as statements:
        response = client.get("/api/v1/me/progress", headers=headers)
    assert response.status_code == 200
    check_progress(response.get_json(), modules)
    assert len(statements) <= PROGRESS_STATEMENTS, statements
    # A read writes nothing: the token's last use is recent, so no UPDATE.
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")], statements


def test_a_token_used_long_ago_records_its_use_once(app, learning, during, frozen_clock):
    headers = progressed_participant(app, learning, 4)
    client = app.test_client()
    frozen_clock(during + timedelta(minutes=6))
    with counted(app) as statements:
        assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    assert [s for s in statements if s.lstrip().startswith("UPDATE api_tokens")], statements
    with app.app_context():  # kept: the read runs in autocommit, the UPDATE committed itself
        assert db.session.scalar(select(ApiToken.last_used_at)) == during + timedelta(minutes=6)
    with counted(app) as statements:
        assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    assert len(statements) <= PROGRESS_STATEMENTS and writes(statements) == [], statements


def test_the_cached_structure_sends_no_statement_for_the_curriculum(app, learning, during):
    headers = progressed_participant(app, learning, 4)
    client = app.test_client()
    with app.app_context():
        cache.clear()
    with counted(app) as cold:
        assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    with counted(app) as warm:
        assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    def structure(statements):
        return [s for s in statements if any(table in s for table in ("modules", "posttest_questions",
                                                                      "journal_prompts", "FROM curricula"))]

    assert len(structure(cold)) == 3, cold  # the first request after clearing loads the structure ...
    assert structure(warm) == [] and len(warm) == len(cold) - 3, warm  # ... the next does not


def test_a_curriculum_import_is_seen_by_the_next_request(app, learning, during):
    headers = progressed_participant(app, learning, 4)
    client = app.test_client()
    before = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert before["modules"][0]["title"] == "Modul 1"
    data = curriculum_data(code="KUR-4", modules=4, materi=3, questions=2, prompts=2)
    data["modules"][0]["title"] = "Modul 1 (revisi)"
    data["modules"][2]["materi"][1]["title"] = "Materi 3.2 (revisi)"
    data["modules"][2]["materi"][1]["minutes"] = 45
    with app.app_context():
        _, outcome = import_curriculum(data)  # in use: only its text changes, through the import service
        db.session.commit()
    assert outcome == "updated"
    after = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert after["modules"][0]["title"] == "Modul 1 (revisi)"
    assert after["modules"][2]["materi"][1] == {**before["modules"][2]["materi"][1], "title": "Materi 3.2 (revisi)",
                                                "minutes": 45}
    assert [m["done"] for m in after["modules"][0]["materi"]] == [True, True, True]


def test_a_replaced_curriculum_is_seen_by_the_next_request(app, learning, during):
    curriculum_id = learning.curriculum(code="KUR-NEW", modules=2, materi=2)
    learning.participant(cohort_id=learning.cohort(code="C-NEW", curriculum_id=curriculum_id))
    headers = learning.headers()
    client = app.test_client()
    before = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert len(before["modules"]) == 2
    with app.app_context():
        _, outcome = import_curriculum(curriculum_data(code="KUR-NEW", modules=3, materi=1))  # nobody started yet
        db.session.commit()
    assert outcome == "replaced"
    after = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert [len(m["materi"]) for m in after["modules"]] == [1, 1, 1]


def test_the_prepared_progress_answer_is_what_its_schema_dumps(app, learning, during, monkeypatch):
    """The progress answer skips flask-smorest's dump (a prepared Response): its body must hold exactly the declared
    fields, registration included, and its headers those of a dumped answer."""
    from lms.modules import schemas
    from tests.ukppg.helpers import complete, make_sessions

    cohort_id = learning.cohort(curriculum_id=learning.curriculum(modules=2, materi=2))
    enrollment_id = learning.participant(cohort_id=cohort_id, kode_kabkota="7371")
    complete(app, enrollment_id)
    (session_id,) = make_sessions(app, ("TUK Makassar", "7371", 2))
    headers = learning.headers()
    client = app.test_client()
    assert client.post("/api/v1/ukppg/registrations", headers=headers,
                       json={"session_id": session_id}).status_code == 201
    dump = schemas.Progress.dump

    def no_dump(*args, **kwargs):
        raise AssertionError("the progress answer is prepared, not dumped")

    monkeypatch.setattr(schemas.Progress, "dump", no_dump)
    response = client.get("/api/v1/me/progress", headers=headers)
    monkeypatch.setattr(schemas.Progress, "dump", dump)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["registration"]["registration"]["site"] == "TUK Makassar"
    assert schemas.Progress().dump(body) == body
    assert schemas.Progress().validate(body) == {}
