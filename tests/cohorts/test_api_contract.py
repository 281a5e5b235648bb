"""The cohort API's declared contract: every operation has a schema for every status it answers; and two admins
creating the same code at once get one cohort and one refusal, never a 500 (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from lms.cohorts.models import Cohort
from lms.cohorts.services import CODE_PATTERN, FIRST_YEAR, LAST_YEAR, code_problem
from lms.core.audit import AuditEvent
from lms.extensions import db

OPERATIONS = [("/cohorts", "get"), ("/cohorts", "post"), ("/cohorts/{code}", "get"), ("/cohorts/{code}", "patch"),
              ("/cohorts/{code}/enrollments", "get"), ("/cohorts/{code}/roster", "post"),
              ("/roster-imports/{import_id}", "get"), ("/cohorts/{code}/extensions", "post"),
              ("/cohorts/{code}/progress", "get")]


def test_every_cohort_operation_declares_its_responses(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, method in OPERATIONS:
        operation = doc["paths"][path][method]
        assert operation["summary"] and operation["tags"] == ["angkatan"], (path, method)
        for status, response in operation["responses"].items():
            if "$ref" in response:
                response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            assert all("schema" in body for body in response["content"].values()), (path, method, status)
        assert {"401", "403"} <= set(operation["responses"]), (path, method)
    roster = doc["paths"]["/cohorts/{code}/roster"]["post"]
    assert set(roster["requestBody"]["content"]) == {"text/csv"}
    assert {"200", "202", "422"} <= set(roster["responses"])
    assert set(doc["paths"]["/cohorts/{code}/progress"]["get"]["responses"]["200"]["content"]) == {
        "application/json", "text/csv"}
    patch = doc["paths"]["/cohorts/{code}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    fields = doc["components"]["schemas"][patch["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"learning_start", "learning_end", "registration_start", "registration_end", "timezone"} <= set(fields)
    assert fields["learning_start"]["format"] == "date"
    query = {p["name"] for p in doc["paths"]["/cohorts/{code}/enrollments"]["get"]["parameters"]}
    assert {"status", "page", "per_page"} <= query


@pytest.mark.postgres
def test_concurrent_creations_of_one_code_make_one_cohort(pg_live_server, pg_learning):
    app = pg_live_server.app
    assert app.test_cli_runner().invoke(args=["users", "grant", "admin.satu@belajar.id", "admin_angkatan"]).exit_code \
        == 0
    headers = pg_learning.headers("admin.satu@belajar.id")
    body = {"code": "SERENTAK", "name": "Angkatan Serentak", "programme_year": 2027, "learning_start": "2027-01-04",
            "learning_end": "2027-02-28"}
    callers = 8
    barrier = threading.Barrier(callers)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def create() -> None:
        with requests.Session() as http:
            barrier.wait()
            response = http.post(f"{pg_live_server.url}/api/v1/cohorts", headers=headers, json=body, timeout=60)
            with lock:
                results.append((response.status_code, response.json().get("code", "")))

    threads = [threading.Thread(target=create) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = Counter(results)
    assert outcomes[(201, "SERENTAK")] == 1 and outcomes[(422, "invalid")] == callers - 1, outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "cohort.create")) == 1


def test_the_document_declares_the_cohort_rules_the_service_applies(client):
    """The code's pattern, the name's length and the year's range are in the document (so that clients and fuzzers
    send what the service accepts); a code outside the pattern is what the service refuses."""
    doc = client.get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/cohorts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    fields = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]
    assert fields["code"]["pattern"] == CODE_PATTERN.pattern and fields["code"]["maxLength"] == 32
    assert (fields["name"]["minLength"], fields["name"]["maxLength"]) == (1, 200)
    assert (fields["programme_year"]["minimum"], fields["programme_year"]["maximum"]) == (FIRST_YEAR, LAST_YEAR)
    assert code_problem("-awal") and code_problem("x" * 33) and not code_problem("PGT2024-T1")
