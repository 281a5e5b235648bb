"""No input is a 500 on the cohort API: declared shapes (422 with the project's error shape), the cohort rules of
the service, ids and pages beyond range, and roster files the csv module cannot read. Every refusal changes
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.datagen import rows
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterImport
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.cohorts.test_roster import csv_bytes

ADMIN = "admin.satu@belajar.id"
VALID = {"code": "PGT2027-T1", "name": "PPG 2027 tahap 1", "programme_year": 2027, "learning_start": "2027-07-24",
         "learning_end": "2027-09-04"}


@pytest.fixture
def admin(app, learning):
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    return learning.headers(ADMIN)


#: The audit events a cohort request may write (granting the admin's role and token are audited too).
COHORT_EVENTS = AuditEvent.action.like("cohort.%") | AuditEvent.action.like("enrollment.%")


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model).where(*where))
                     for model, where in ((Cohort, ()), (AuditEvent, (COHORT_EVENTS,)), (Enrollment, ()),
                                          (RosterImport, ())))


def refused(response, status=422, code="invalid") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code and body["message"]
    return body


def test_the_api_refuses_the_reserved_code_and_a_foreign_zone(app, learning, admin):
    client = app.test_client()
    before = counts(app)
    body = refused(client.post("/api/v1/cohorts", headers=admin, json={**VALID, "code": "new"}))
    assert body["errors"] == {"code": "Kode new tidak dapat dipakai karena kata khusus; pilih kode lain."}
    body = refused(client.post("/api/v1/cohorts", headers=admin, json={**VALID, "timezone": "Europe/London"}))
    assert body["errors"] == {"timezone": "Pilih zona waktu WIB, WITA, atau WIT."}
    assert counts(app) == before
    assert client.post("/api/v1/cohorts", headers=admin, json={**VALID, "timezone": "Asia/Jayapura"}).status_code \
        == 201
    patched = client.patch("/api/v1/cohorts/PGT2027-T1", headers=admin, json={"timezone": "Europe/London"})
    assert refused(patched)["errors"] == {"timezone": "Pilih zona waktu WIB, WITA, atau WIT."}
    with app.app_context():
        assert db.session.scalar(select(Cohort.timezone)) == "Asia/Jayapura"
        assert [e.action for e in db.session.scalars(select(AuditEvent).where(COHORT_EVENTS))] == ["cohort.create"]


@pytest.mark.parametrize("change", [
    {"timezone": {}}, {"timezone": ["Asia/Jakarta"]}, {"learning_start": "2026-02-30"}, {"learning_end": 20270904},
    {"programme_year": "2027"}, {"programme_year": 10 ** 40}, {"name": "x" * 201}, {"code": "K" * 33},
    {"learning_start": "9999-12-31", "learning_end": "9999-12-31"}, {"registration_end": "2029-09-05"},
    {"registration_start": "2027-01-01"}, {"curriculum": "TIDAK-ADA"}, {"extra": 1}, {"name": None},
])
def test_bad_cohort_bodies_are_422_and_create_nothing(app, learning, admin, change):
    before = counts(app)
    body = refused(app.test_client().post("/api/v1/cohorts", headers=admin, json={**VALID, **change}))
    assert set(body["errors"]) <= {*change, "programme_year"}, body
    assert counts(app) == before


@pytest.mark.parametrize("data", [b"[1, 2]", b'"PGT"', b"{", b'{"name": "a\\u0000b"}', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_422(app, learning, admin, data):
    learning.cohort(code="ADA")
    before = counts(app)
    for method, url in (("post", "/api/v1/cohorts"), ("patch", "/api/v1/cohorts/ADA")):
        response = getattr(app.test_client(), method)(url, headers=admin, data=data, content_type="application/json")
        refused(response)
    assert counts(app) == before


def test_patch_refuses_an_impossible_date_and_a_reversed_window(app, learning, admin):
    learning.cohort(code="ADA")
    before = counts(app)
    client = app.test_client()
    assert "learning_start" in refused(client.patch("/api/v1/cohorts/ADA", headers=admin,
                                                    json={"learning_start": "2026-02-30"}))["errors"]
    assert "learning_end" in refused(client.patch("/api/v1/cohorts/ADA", headers=admin,
                                                  json={"learning_end": "2026-10-01"}))["errors"]
    assert counts(app) == before


def test_pages_and_ids_beyond_range(app, learning, admin):
    cohort_id = learning.cohort(code="PAGE")
    learning.participant("guru.satu@guru.sd.belajar.id", cohort_id=cohort_id)
    client = app.test_client()
    for query in ("page=99999999999999999999", "page=0", "page=-1", "per_page=100000", "page=1e3", "status=zzz"):
        refused(client.get(f"/api/v1/cohorts/PAGE/enrollments?{query}", headers=admin))
    last = client.get("/api/v1/cohorts/PAGE/enrollments?page=100000&per_page=1000", headers=admin)
    assert last.status_code == 200 and last.get_json()["enrollments"] == [] and last.get_json()["total"] == 1
    refused(client.get("/api/v1/roster-imports/99999999999", headers=admin), 404, "not_found")
    refused(client.get("/api/v1/roster-imports/2147483647", headers=admin), 404, "not_found")
    refused(client.get("/api/v1/cohorts/" + "X" * 5000, headers=admin), 404, "not_found")
    refused(client.get("/api/v1/cohorts/PAGE/progress?group=planet", headers=admin))
    refused(client.get("/api/v1/cohorts/PAGE/progress?format=xlsx", headers=admin))


def test_extension_bodies(app, learning, admin):
    cohort_id = learning.cohort(code="EXT")
    learning.participant("guru.ext@guru.sd.belajar.id", cohort_id=cohort_id)
    before = counts(app)
    client = app.test_client()
    for body in ({"email": "guru.ext@guru.sd.belajar.id", "until": "9999-12-31", "reason": "x"},
                 {"email": "guru.ext@guru.sd.belajar.id", "until": "2026-13-01", "reason": "x"},
                 {"email": ["guru.ext@guru.sd.belajar.id"], "until": "2026-12-07", "reason": "x"},
                 {"email": "guru.ext@guru.sd.belajar.id", "until": "2026-12-07", "reason": "x" * 501}):
        refused(client.post("/api/v1/cohorts/EXT/extensions", headers=admin, json=body))
    assert counts(app) == before


HEADER = "nik,nama,email,npsn,satuan_pendidikan,kode_kabkota"


@pytest.mark.parametrize(("data", "words"), [
    (csv_bytes([list(r) for r in rows(2)]).replace(b"\n", b"\x00\n", 2), "NUL"),
    (HEADER.encode() + b"\n\xff\xfe,a\n", "UTF-8"),
    (HEADER.encode() + b"," + b"x" * 200_000 + b"\n", "Sel terlalu panjang"),
    (csv_bytes([list(r) for r in rows(2)]).replace(b"\r\n", b"\r"), "hanya CR"),
    (csv_bytes([list(r) for r in rows(1)]) + b"a," + b"x" * 200_000 + b"\n", "Sel terlalu panjang"),
])
def test_roster_files_the_csv_module_cannot_read_are_file_errors(app, learning, admin, data, words):
    learning.cohort(code="ROS")
    before = counts(app)
    response = app.test_client().post("/api/v1/cohorts/ROS/roster", headers=admin, data=data,
                                      content_type="text/csv")
    body = refused(response)
    assert words in body["message"] and body["import"]["status"] == "failed"
    assert body["import"]["file_error"] == body["message"]
    cohorts, events, enrollments, imports = counts(app)
    assert (cohorts, events, enrollments, imports) == (before[0], before[1], before[2], before[3] + 1)


def test_a_roster_upload_needs_a_csv_body_and_a_sane_filename(app, learning, admin):
    learning.cohort(code="ROS")
    client = app.test_client()
    data = csv_bytes([list(r) for r in rows(2)])
    body = refused(client.post("/api/v1/cohorts/ROS/roster", headers=admin, json={"a": 1}))
    assert body["errors"] == {"content_type": "Harus text/csv."}
    refused(client.post("/api/v1/cohorts/ROS/roster?filename=" + "a" * 300, headers=admin, data=data,
                        content_type="text/csv"))
    assert counts(app)[3] == 0
    english = client.post("/api/v1/cohorts/ROS/roster", headers={**admin, "Accept-Language": "en"}, json={})
    assert refused(english)["errors"] == {"content_type": "Must be text/csv."}
