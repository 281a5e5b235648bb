"""The cohort API of SPEC §6, for admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.datagen import rows
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.cohorts.test_roster import csv_bytes

ADMIN = "admin.satu@belajar.id"


@pytest.fixture
def admin(app, learning):
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    return learning.headers(ADMIN)


def test_create_list_get_and_patch(app, learning, admin):
    learning.curriculum(code="KUR-A")
    client = app.test_client()
    created = client.post("/api/v1/cohorts", headers=admin, json={
        "code": "PGT2027-T1", "name": "PPG bagi Guru Tertentu 2027 tahap 1", "programme_year": 2027,
        "learning_start": "2027-07-24", "learning_end": "2027-09-04", "curriculum": "KUR-A"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["learning_start"], body["learning_end"], body["timezone"]) == ("2027-07-24", "2027-09-04",
                                                                               "Asia/Jakarta")
    assert body["learning_opens_at"] == "2027-07-23T17:00:00+00:00"
    assert [c["code"] for c in client.get("/api/v1/cohorts", headers=admin).get_json()["cohorts"]] == ["PGT2027-T1"]
    patched = client.patch("/api/v1/cohorts/PGT2027-T1", headers=admin, json={
        "learning_end": "2027-09-10", "registration_start": "2027-08-01", "registration_end": "2027-09-15",
        "timezone": "Asia/Makassar"})
    assert patched.status_code == 200
    body = patched.get_json()
    assert (body["learning_end"], body["registration_end"], body["timezone"]) == ("2027-09-10", "2027-09-15",
                                                                                 "Asia/Makassar")
    assert body["learning_closes_at"] == "2027-09-10T16:00:00+00:00"  # 00:00 WITA on 11 Sep
    assert client.get("/api/v1/cohorts/PGT2027-T1", headers=admin).get_json()["registration_start"] == "2027-08-01"
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "cohort.update")) == 1


def test_invalid_cohorts_are_refused_with_field_errors(app, learning, admin):
    learning.cohort(code="ADA")
    client = app.test_client()
    bad = client.post("/api/v1/cohorts", headers=admin, json={"code": "", "programme_year": "2027",
                                                              "learning_start": "24-07-2027"})
    assert bad.status_code == 422
    assert {"code", "name", "programme_year", "learning_start", "learning_end"} <= set(bad.get_json()["errors"])
    dup = client.post("/api/v1/cohorts", headers=admin, json={"code": "ADA", "name": "x", "programme_year": 2026,
                                                              "learning_start": "2026-01-01",
                                                              "learning_end": "2026-02-01"})
    assert dup.status_code == 422 and "code" in dup.get_json()["errors"]
    order = client.patch("/api/v1/cohorts/ADA", headers=admin, json={"learning_end": "2026-10-01"})
    assert order.status_code == 422 and "learning_end" in order.get_json()["errors"]
    assert client.patch("/api/v1/cohorts/NOPE", headers=admin, json={}).status_code == 404


def test_enrollments_are_paged_and_filtered(app, learning, admin):
    cohort_id = learning.cohort(code="PAGE")
    for i in range(5):
        learning.participant(f"guru{i}@guru.sd.belajar.id", cohort_id=cohort_id)
    client = app.test_client()
    page = client.get("/api/v1/cohorts/PAGE/enrollments?per_page=2&page=2", headers=admin).get_json()
    assert page["total"] == 5 and page["pages"] == 3
    assert [e["email"] for e in page["enrollments"]] == ["guru2@guru.sd.belajar.id", "guru3@guru.sd.belajar.id"]
    assert all(e["status"] == "aktif" for e in page["enrollments"])
    assert client.get("/api/v1/cohorts/PAGE/enrollments?status=tuntas", headers=admin).get_json()["total"] == 0
    assert client.get("/api/v1/cohorts/PAGE/enrollments?status=zzz", headers=admin).status_code == 422


def test_roster_upload_as_csv_body(app, learning, admin):
    learning.cohort(code="ROS")
    client = app.test_client()
    data = [list(r) for r in rows(4)]
    ok = client.post("/api/v1/cohorts/ROS/roster", headers=admin, data=csv_bytes(data), content_type="text/csv")
    assert ok.status_code == 200 and ok.get_json()["stats"]["inserted"] == 4
    data[2][0] = "123"
    bad = client.post("/api/v1/cohorts/ROS/roster", headers=admin, data=csv_bytes(data), content_type="text/csv")
    body = bad.get_json()
    assert bad.status_code == 422 and body["code"] == "invalid"
    assert body["errors"] == [{"line": 4, "reason": "NIK harus 16 digit angka."}]
    wrong_type = client.post("/api/v1/cohorts/ROS/roster", headers=admin, json={"a": 1})
    assert wrong_type.status_code == 422


def test_large_roster_runs_as_a_task(app, learning, admin, tmp_path):
    learning.cohort(code="BIG")
    app.config["ROSTER_SYNC_MAX_BYTES"] = 100
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    celery = app.extensions["celery"]
    celery.conf.task_always_eager = True
    try:
        client = app.test_client()
        queued = client.post("/api/v1/cohorts/BIG/roster", headers=admin, data=csv_bytes([list(r) for r in rows(30)]),
                             content_type="text/csv")
        assert queued.status_code == 202
        job = client.get(queued.headers["Location"], headers=admin).get_json()
        assert job["status"] == "done" and job["rows_total"] == 30 and job["stats"]["inserted"] == 30
        assert list((tmp_path / "uploads" / "rosters").iterdir()) == []  # the upload is deleted once imported
    finally:
        celery.conf.task_always_eager = False


def test_extension_api(app, learning, admin):
    cohort_id = learning.cohort(code="EXT")
    learning.participant("guru.ext@guru.sd.belajar.id", cohort_id=cohort_id)
    client = app.test_client()
    ok = client.post("/api/v1/cohorts/EXT/extensions", headers=admin,
                     json={"email": "guru.ext@guru.sd.belajar.id", "until": "2026-12-07", "reason": "Sakit"})
    assert ok.status_code == 201 and ok.get_json()["until"] == "2026-12-07T17:00:00+00:00"
    too_early = client.post("/api/v1/cohorts/EXT/extensions", headers=admin,
                            json={"email": "guru.ext@guru.sd.belajar.id", "until": "2026-11-15", "reason": ""})
    assert too_early.status_code == 422 and set(too_early.get_json()["errors"]) == {"until", "reason"}
    stranger = client.post("/api/v1/cohorts/EXT/extensions", headers=admin,
                           json={"email": "orang.lain@guru.sd.belajar.id", "until": "2026-12-07", "reason": "x"})
    assert stranger.status_code == 404
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrollment.extend"))
        assert event.data["reason"] == "Sakit" and event.actor_id is not None


def test_progress_report_json_and_csv(app, learning, admin):
    cohort_id = learning.cohort(code="REP")
    learning.participant("guru.a@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="7371")
    learning.participant("guru.b@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="3171")
    client = app.test_client()
    body = client.get("/api/v1/cohorts/REP/progress?group=province", headers=admin).get_json()
    assert [(r["key"], r["name"], r["participants"]) for r in body["rows"]] == [("31", "DKI Jakarta", 1),
                                                                                 ("73", "Sulawesi Selatan", 1)]
    csv_response = client.get("/api/v1/cohorts/REP/progress?group=kabkota&format=csv", headers=admin)
    assert csv_response.mimetype == "text/csv"
    lines = csv_response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("kabkota,nama,peserta") and len(lines) == 3


def test_teachers_get_403_on_every_admin_endpoint(app, learning):
    learning.cohort(code="SEC")
    teacher = learning.headers("guru.biasa@guru.sd.belajar.id")
    client = app.test_client()
    calls = [("get", "/api/v1/cohorts"), ("post", "/api/v1/cohorts"), ("get", "/api/v1/cohorts/SEC"),
             ("patch", "/api/v1/cohorts/SEC"), ("get", "/api/v1/cohorts/SEC/enrollments"),
             ("post", "/api/v1/cohorts/SEC/roster"), ("get", "/api/v1/roster-imports/1"),
             ("post", "/api/v1/cohorts/SEC/extensions"), ("get", "/api/v1/cohorts/SEC/progress")]
    for method, url in calls:
        response = getattr(client, method)(url, headers=teacher, json={})
        assert response.status_code == 403 and response.get_json()["code"] == "forbidden", (method, url)
        assert getattr(client, method)(url, json={}).status_code == 401
