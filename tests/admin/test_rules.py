"""One rule, one place: the admin page and the API refuse the same cohort input with the same words (the cohort
service's), both audit a creation; and no input is a 500 on the admin pages."""

from __future__ import annotations

import html as entities
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bench.datagen import rows as roster_rows
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterImport
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.admin.test_views import ADMIN, cohort_form, csv_text, grant, html, log_in, refused

COHORT_EVENTS = AuditEvent.action.like("cohort.%")
API_BODY = {"code": "BARU-1", "name": "Angkatan Baru", "programme_year": 2026, "learning_start": "2026-12-01",
            "learning_end": "2026-12-31"}


@pytest.fixture
def admin(app, learning, frozen_clock):
    app.config["WTF_CSRF_ENABLED"] = False
    grant(app, ADMIN, "admin_angkatan")
    return log_in(app, ADMIN)


@pytest.fixture
def token(app, learning, admin):
    return learning.headers(ADMIN)


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Cohort)),
                db.session.scalar(select(func.count()).select_from(AuditEvent).where(COHORT_EVENTS)))


def page_errors(response) -> dict[str, str]:
    found = re.findall(r'data-testid="error-(\w+)">([^<]*)<', html(response))
    return {name: entities.unescape(text) for name, text in found}


def test_creating_a_cohort_on_the_page_is_audited(app, admin):
    response = admin.post("/admin/cohorts/new", data=cohort_form(timezone="Asia/Jayapura"))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.create"))
        admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN))
        assert event is not None and event.subject_id == "BARU-1" and event.actor_id == admin_id
        assert event.data["timezone"] == "Asia/Jayapura" and event.data["learning_end"] == "2026-12-31"


@pytest.mark.parametrize(("page", "api"), [
    ({"code": "new"}, {"code": "new"}),
    ({"code": "NEW"}, {"code": "NEW"}),
    ({"code": "a b"}, {"code": "a b"}),
    ({"timezone": "Europe/London"}, {"timezone": "Europe/London"}),
    ({"code": "new", "timezone": "UTC"}, {"code": "new", "timezone": "UTC"}),
    ({"name": "n" * 201}, {"name": "n" * 201}),
    ({"programme_year": "1999"}, {"programme_year": 1999}),
    ({"learning_start": "2026-12-31", "learning_end": "2026-12-01"},
     {"learning_start": "2026-12-31", "learning_end": "2026-12-01"}),
    ({"registration_start": "2026-11-01"}, {"registration_start": "2026-11-01"}),
    ({"registration_end": "2028-06-01"}, {"registration_end": "2028-06-01"}),
    ({"programme_year": "2030"}, {"programme_year": 2030}),
])
def test_the_page_and_the_api_refuse_the_same_input_with_the_same_words(app, admin, token, page, api):
    before = stored(app)
    on_page = admin.post("/admin/cohorts/new", data=cohort_form(**page), follow_redirects=True)
    on_api = app.test_client().post("/api/v1/cohorts", headers=token, json={**API_BODY, **api})
    assert refused(on_page) and on_api.status_code == 422
    assert page_errors(on_page) == on_api.get_json()["errors"]
    assert stored(app) == before


def test_the_edit_page_and_patch_refuse_a_foreign_zone_alike(app, admin, token, learning):
    learning.cohort()
    before = stored(app)
    on_page = admin.post("/admin/cohorts/UJI-1/edit", data=cohort_form(
        timezone="Europe/London", learning_start="2026-11-01", learning_end="2026-11-30"), follow_redirects=True)
    on_api = app.test_client().patch("/api/v1/cohorts/UJI-1", headers=token, json={"timezone": "Europe/London"})
    assert refused(on_page) and on_api.status_code == 422
    assert page_errors(on_page) == on_api.get_json()["errors"] == {"timezone": "Pilih zona waktu WIB, WITA, atau WIT."}
    assert stored(app) == before


@pytest.mark.parametrize("change", [
    {"name": "N" * 100_000}, {"code": "K" * 100_000}, {"timezone": "T" * 100_000},
    {"programme_year": "9" * 5000}, {"curriculum_id": "9" * 5000}, {"curriculum_id": "99999999999"},
    {"curriculum_id": "²"}, {"learning_start": "9999-12-31", "learning_end": "9999-12-31"},
    {"learning_start": "2026-02-30"},
])
def test_over_long_and_odd_form_values_are_refused_and_change_nothing(app, admin, change):
    before = stored(app)
    response = admin.post("/admin/cohorts/new", data=cohort_form(**change), follow_redirects=True)
    assert refused(response) and 'data-testid="form-error"' in html(response)
    assert stored(app) == before


def test_ids_and_pages_beyond_range_on_the_admin_pages(app, admin, learning):
    learning.participant()
    for url in ("/admin/imports/99999999999", "/admin/imports/99999999999.json", "/admin/imports/2147483648",
                "/admin/cohorts/" + "X" * 5000):
        assert admin.get(url).status_code == 404, url
    for url in ("/admin/cohorts/UJI-1?page=99999999999999999999", "/admin/outbox?page=99999999999999999999",
                "/admin/cohorts/UJI-1?page=-5", "/admin/cohorts/UJI-1?status=zzz&q=" + "%25" * 2000):
        assert admin.get(url).status_code == 200, url
    extension = admin.post("/admin/cohorts/UJI-1/extensions", data={
        "email": "guru.satu@guru.sd.belajar.id", "until": "9999-12-31", "reason": "x", "confirm": "yes"},
        follow_redirects=True)
    assert refused(extension) and 'data-testid="error-until"' in html(extension)


@pytest.mark.parametrize(("data", "words"), [
    (b"nik,nama,email,npsn,satuan_pendidikan,kode_kabkota\n\x00\n", "NUL"),
    (b"nik,nama,email,npsn,satuan_pendidikan,kode_kabkota," + b"x" * 200_000 + b"\n", "Sel terlalu panjang"),
    (b"nik,nama,email,npsn,satuan_pendidikan,kode_kabkota\r1,2,3,4,5,6\r", "hanya CR"),
    (b"nik,nama\n\xc3\x28\n", "UTF-8"),
])
def test_roster_files_the_page_cannot_read_show_a_file_error(app, admin, learning, data, words):
    learning.cohort()
    response = admin.post("/admin/cohorts/UJI-1/roster", data={"file": (io.BytesIO(data), "peserta.csv")})
    assert response.status_code == 302
    page = html(admin.get(response.location))
    assert 'data-testid="file-error"' in page and words in page
    with app.app_context():
        assert db.session.scalar(select(RosterImport.status)) == "failed"
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0


def test_a_queued_upload_is_kept_on_commit_and_deleted_on_rollback(app, learning, tmp_path, monkeypatch):
    from lms.cohorts import uploads

    cohort_id = learning.cohort()
    sent = []
    monkeypatch.setattr(uploads.import_roster, "delay", sent.append)
    folder = tmp_path / "uploads"
    data = csv_text(roster_rows(3)).encode()
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        kept = uploads.start_roster_import(cohort, "a.csv", io.BytesIO(data), len(data), now=datetime.now(UTC),
                                           actor_id=None, sync_max_bytes=10, upload_folder=str(folder))
        assert sent == []  # not before the job is committed: the worker must find it
        db.session.commit()
        assert sent == [kept.id] and kept.status == "queued"
        dropped = uploads.start_roster_import(cohort, "b.csv", io.BytesIO(data), len(data), now=datetime.now(UTC),
                                              actor_id=None, sync_max_bytes=10, upload_folder=str(folder))
        assert len(list((folder / "rosters").iterdir())) == 2
        db.session.rollback()
        assert sent == [kept.id] and dropped.id != kept.id
        assert [p.name for p in (folder / "rosters").iterdir()] == [kept.stored_path.rsplit("/", 1)[1]]


def test_every_new_enrollment_starts_in_the_status_of_one_function(app, learning):
    from lms.cohorts.services import initial_status

    opening = learning.cohort(code="NANTI", start=datetime(2026, 12, 10).date(), end=datetime(2026, 12, 20).date())
    open_now = learning.cohort(code="BUKA")
    during = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    with app.app_context():
        assert initial_status(db.session.get(Cohort, opening), during) == "menunggu"
        assert initial_status(db.session.get(Cohort, open_now), during) == "aktif"
    enrolled = learning.participant("guru.nanti@guru.sd.belajar.id", cohort_id=opening)
    with app.app_context():
        assert db.session.get(Enrollment, enrolled).status == "menunggu"
