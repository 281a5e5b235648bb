"""Registering with an Idempotency-Key: a repeated request gets the first answer and registers once."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from lms.extensions import db
from lms.ukppg.models import ExamSession, Registration
from tests.learning import DURING, log_in
from tests.ukppg.helpers import complete, make_sessions, seats_taken

GURU = "guru.satu@guru.sd.belajar.id"
OTHER = "guru.dua@guru.sd.belajar.id"
URL = "/api/v1/ukppg/registrations"


@pytest.fixture
def ready(app, learning, during):
    cohort_id = learning.cohort()
    ids = [learning.participant(email, cohort_id=cohort_id, kode_kabkota="7371") for email in (GURU, OTHER)]
    complete(app, *ids)
    sessions = make_sessions(app, ("TUK Makassar", "7371", 5), ("TUK Kecil", "7371", 1))
    return {"sessions": sessions, "headers": {e: learning.headers(e) for e in (GURU, OTHER)},
            "client": app.test_client()}


def post(ready, session_id, key, email=GURU):
    headers = {**ready["headers"][email], **({"Idempotency-Key": key} if key else {})}
    return ready["client"].post(URL, headers=headers, json={"session_id": session_id})


def registrations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Registration.id)))


def test_a_repeated_request_gets_the_first_answer_and_registers_once(app, ready):
    session = ready["sessions"][0]
    first = post(ready, session, "kunci-1")
    again = post(ready, session, "kunci-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.get_json()["number"].startswith("UKPPPG-2026-")
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert registrations(app) == 1 and seats_taken(app, session) == 1
    # Without a key the same request is a second attempt, refused as before.
    assert post(ready, session, None).get_json()["code"] == "already_registered"


def test_keys_belong_to_one_user(app, ready):
    mine, theirs = post(ready, ready["sessions"][0], "sama"), post(ready, ready["sessions"][0], "sama", OTHER)
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["number"] != theirs.get_json()["number"]
    assert seats_taken(app, ready["sessions"][0]) == 2


def test_a_key_reused_for_another_request_is_refused(app, ready):
    a, b = ready["sessions"]
    assert post(ready, a, "kunci").status_code == 201
    reused = post(ready, b, "kunci")
    assert reused.status_code == 422 and reused.get_json()["code"] == "idempotency_key_reused"
    assert (seats_taken(app, a), seats_taken(app, b), registrations(app)) == (1, 0, 1)


def test_a_refused_request_leaves_no_key_so_a_retry_is_decided_afresh(app, ready):
    small = ready["sessions"][1]
    assert post(ready, small, None, OTHER).status_code == 201
    full = post(ready, small, "coba")
    assert full.status_code == 409 and full.get_json()["code"] == "seat_full"
    assert ready["client"].delete("/api/v1/ukppg/registrations/me", headers=ready["headers"][OTHER]).status_code == 200
    retry = post(ready, small, "coba")
    assert retry.status_code == 201 and seats_taken(app, small) == 1


@pytest.mark.parametrize("key", ["x" * 201, "kunci dengan\ttab", "kunci-é"])
def test_a_malformed_key_is_invalid(app, ready, key):
    response = post(ready, ready["sessions"][0], key)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert registrations(app) == 0


def test_a_key_is_honoured_for_24_hours_only(app, ready, frozen_clock):
    session = ready["sessions"][0]
    first = post(ready, session, "kemarin").get_json()
    assert ready["client"].delete("/api/v1/ukppg/registrations/me", headers=ready["headers"][GURU]).status_code == 200
    frozen_clock(DURING + timedelta(hours=24) - timedelta(seconds=1))
    replayed = post(ready, session, "kemarin")
    assert replayed.status_code == 201 and replayed.get_json() == first  # the answer, not a new registration
    assert registrations(app) == 1 and seats_taken(app, session) == 0
    frozen_clock(DURING + timedelta(hours=24))
    fresh = post(ready, session, "kemarin")
    assert fresh.status_code == 201 and fresh.get_json()["number"] != first["number"]
    assert registrations(app) == 2 and seats_taken(app, session) == 1


def test_the_openapi_document_declares_the_header(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/ukppg/registrations"]["post"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is False
    assert "idempotency_key_reused" in operation["responses"]["422"]["description"]


def form_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)


def test_the_form_sent_twice_shows_the_confirmation_both_times(app, ready):
    browser = log_in(app, GURU)
    page = browser.get("/sertifikasi/ukppg/").get_data(as_text=True)
    key = form_key(page)
    assert form_key(browser.get("/sertifikasi/ukppg/").get_data(as_text=True)) != key  # one key per form load
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf, "session_id": ready["sessions"][0], "action": "register", "idempotency_key": key}
    first = browser.post("/sertifikasi/ukppg/", data=form)
    second = browser.post("/sertifikasi/ukppg/", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location.endswith("/sertifikasi/ukppg/konfirmasi") and second.location == first.location
    confirmation = browser.get(second.location).get_data(as_text=True)
    assert 'data-testid="registration-number"' in confirmation and "sudah terdaftar" not in confirmation
    assert registrations(app) == 1 and seats_taken(app, ready["sessions"][0]) == 1


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_register_once(pg_live_server, pg_learning, frozen_clock):
    frozen_clock(DURING)
    app = pg_live_server.app
    enrollment = pg_learning.participant(GURU, kode_kabkota="7371")
    complete(app, enrollment)
    [session] = make_sessions(app, ("TUK Rebutan", "7371", 5))
    headers = {**pg_learning.headers(GURU), "Idempotency-Key": "satu-kali"}
    barrier = threading.Barrier(12)
    answers: list[tuple[int, str | None]] = []

    def send():
        with requests.Session() as http:
            barrier.wait()
            response = http.post(f"{pg_live_server.url}{URL}", headers=headers, json={"session_id": session},
                                 timeout=120)
            answers.append((response.status_code, response.json().get("number")))

    threads = [threading.Thread(target=send) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in answers} == {201}, answers
    assert len({number for _, number in answers}) == 1
    assert registrations(app) == 1
    with app.app_context():
        assert db.session.get(ExamSession, session).seats_taken == 1
