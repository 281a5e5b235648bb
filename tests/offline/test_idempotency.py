"""Learning actions sent again by a device (the offline queue): one Idempotency-Key, one effect, the first answer."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import func, select

from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt, Question
from tests.journal.test_journal import Participant
from tests.learning import DURING


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (MateriProgress, Attempt, JournalEntry))


def answers_for(app, module_id: int) -> dict:
    with app.app_context():
        questions = db.session.scalars(select(Question).where(Question.module_id == module_id)).all()
        return {str(q.id): q.options[0].id for q in questions}


@pytest.fixture
def participant(app, learning, during):
    return Participant(app, learning, prompts=1)


def send(p: Participant, method: str, url: str, key: str | None, json=None):
    headers = {**p.headers, **({"Idempotency-Key": key} if key else {})}
    return p.client.open(url, method=method, headers=headers, json=json)


def test_a_replayed_queue_changes_nothing_and_gets_the_first_answers(app, participant):
    module = participant.module_id()
    materi = participant.modules[0]["materi"]
    journal_url = f"/api/v1/journals/{module}"
    queue = [*(("POST", f"/api/v1/materi/{m['id']}/complete", f"m-{m['id']}", None) for m in materi),
             ("POST", f"/api/v1/posttests/{module}/attempts", "pt-1", {"answers": answers_for(app, module)}),
             ("PUT", journal_url, "j-1", {"answers": {}, "submit": False, "version": 0})]
    prompt = None
    first = []
    for method, url, key, body in queue:
        if url == journal_url:
            prompt = participant.prompt_ids()[0]
            body = {"answers": {prompt: "Tulisan luring yang cukup panjang."}, "submit": False, "version": 0}
            queue[-1] = (method, url, key, body)
        response = send(participant, method, url, key, body)
        assert response.status_code in (200, 201), response.get_json()
        assert "Idempotent-Replayed" not in response.headers
        first.append(response.get_json())
    before = counts(app)
    assert before == (len(materi), 1, 1)

    again = [send(participant, method, url, key, body) for method, url, key, body in queue]
    assert [r.get_json() for r in again] == first
    assert all(r.headers.get("Idempotent-Replayed") == "true" for r in again)
    assert counts(app) == before
    assert participant.get().get_json()["version"] == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(app, participant):
    participant.finish_materi()
    participant.take_posttest()
    prompt = participant.prompt_ids()[0]
    assert participant.put({prompt: "satu"}, version=0).status_code == 200  # no key: as before
    url = f"/api/v1/journals/{participant.module_id()}"
    assert send(participant, "PUT", url, "k", {"answers": {prompt: "dua"}, "version": 1}).status_code == 200
    refused = send(participant, "PUT", url, "k", {"answers": {prompt: "tiga"}, "version": 2})
    assert refused.status_code == 422 and refused.get_json()["code"] == "idempotency_key_reused"
    body = participant.get().get_json()
    assert body["answers"] == {prompt: "dua"} and body["version"] == 2
    # The same key on another action is another body too.
    materi = participant.modules[0]["materi"][0]["id"]
    assert send(participant, "POST", f"/api/v1/materi/{materi}/complete", "k").status_code == 422


def test_a_refused_submission_is_replayed_as_refused_with_the_draft_kept_once(app, participant):
    participant.finish_materi()
    participant.take_posttest()
    prompt = participant.prompt_ids()[0]
    url = f"/api/v1/journals/{participant.module_id()}"
    body = {"answers": {prompt: "pendek"}, "submit": True, "version": 0}
    first, again = (send(participant, "PUT", url, "short", body) for _ in range(2))
    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json() and first.get_json()["draft_saved"] is True
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert participant.get().get_json()["version"] == 1


def test_a_conflict_leaves_no_key_and_a_closed_window_is_refused_clearly(app, participant, frozen_clock):
    participant.finish_materi()
    participant.take_posttest()
    prompt = participant.prompt_ids()[0]
    url = f"/api/v1/journals/{participant.module_id()}"
    assert participant.put({prompt: "dari perangkat lain"}, version=0).status_code == 200
    stale = {"answers": {prompt: "dari ponsel luring"}, "submit": False, "version": 0}
    conflict = send(participant, "PUT", url, "late", stale)
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "version_conflict"
    # Nothing was kept for the key: the same key with the newer version (the text chosen) is decided afresh.
    assert send(participant, "PUT", url, "late", {**stale, "version": 1}).status_code == 200

    frozen_clock(DURING.replace(month=12, day=5))
    closed = send(participant, "PUT", url, "after", {**stale, "version": 2})
    assert closed.status_code == 423 and closed.get_json()["code"] == "window_closed"
    assert "berakhir" in closed.get_json()["message"]
    materi = participant.modules[1]["materi"][0]["id"]
    assert send(participant, "POST", f"/api/v1/materi/{materi}/complete", "after-2").status_code == 423


@pytest.mark.postgres
def test_concurrent_sends_of_one_queued_action_take_effect_once(pg_app, pg_learning, pg_live_server, frozen_clock):
    frozen_clock(DURING)
    participant = Participant(pg_app, pg_learning, prompts=1)
    participant.finish_materi()
    participant.take_posttest()
    prompt = participant.prompt_ids()[0]
    url = f"{pg_live_server.url}/api/v1/journals/{participant.module_id()}"
    body = {"answers": {prompt: "Dikirim serentak dari antrean."}, "submit": False, "version": 0}
    headers = {**participant.headers, "Idempotency-Key": "antrean-1"}
    barrier = threading.Barrier(8)
    results, lock = [], threading.Lock()

    def put():
        with requests.Session() as http:
            barrier.wait()
            response = http.put(url, json=body, headers=headers, timeout=60)
            with lock:
                results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in results} == {200}, results
    assert {r["version"] for _, r in results} == {1}
    assert participant.get().get_json()["version"] == 1
    assert counts(pg_app)[2] == 1


@pytest.mark.parametrize(("path", "method"), [("/materi/{materi_id}/complete", "post"),
                                              ("/posttests/{module_id}/attempts", "post"),
                                              ("/journals/{module_id}", "put")])
def test_the_openapi_document_declares_the_header(client, path, method):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"][path][method]
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is False
    assert "idempotency_key_reused" in operation["responses"]["422"]["description"]
    assert "Idempotent-Replayed" in next(r for s, r in operation["responses"].items() if s.startswith("2"))["headers"]
