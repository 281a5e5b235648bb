"""Cohort-admin pages: access, cohort forms and audit, timeline, extensions, roster uploads, progress, outbox."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.datagen import rows as roster_rows
from bench.datagen import write_csv
from lms.auth.models import User
from lms.cohorts import reminders, roster
from lms.cohorts.models import Cohort, Enrollment, Extension
from lms.cohorts.roster_models import RosterImport
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.learning import log_in
from tests.queries import counted

ADMIN = "admin.satu@belajar.id"
TEACHER = "guru.satu@guru.sd.belajar.id"
HEADER = ("nik", "nama", "email", "npsn", "satuan_pendidikan", "kode_kabkota")


def grant(app, email: str, role: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", "grant", email, role])
    assert result.exit_code == 0, result.output


@pytest.fixture
def admin(app, frozen_clock):
    """A logged-in cohort admin; form posts without CSRF tokens (one test below checks the token)."""
    app.config["WTF_CSRF_ENABLED"] = False
    grant(app, ADMIN, "admin_angkatan")
    return log_in(app, ADMIN)


def html(response) -> str:
    return response.get_data(as_text=True)


def refused(response) -> bool:
    """A refused form post, followed: it redirected (POST-redirect-GET) and the page after it was fetched."""
    return [r.status_code for r in response.history] == [303] and response.status_code == 200


def cohort_form(**changes) -> dict:
    form = {"code": "BARU-1", "name": "Angkatan Baru", "programme_year": "2026", "learning_start": "2026-12-01",
            "learning_end": "2026-12-31", "registration_start": "", "registration_end": "", "timezone": "Asia/Jakarta",
            "curriculum_id": ""}
    form.update(changes)
    return form


def csv_upload(text: str, name: str = "peserta.csv") -> dict:
    return {"file": (io.BytesIO(text.encode()), name)}


def csv_text(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def roster_text(count: int, **kwargs) -> str:
    return csv_text(roster_rows(count, **kwargs))


# --- access ---------------------------------------------------------------------------------------------------

PAGES = [("get", "/admin/"), ("get", "/admin/cohorts/new"), ("post", "/admin/cohorts/new"),
         ("get", "/admin/cohorts/UJI-1"), ("get", "/admin/cohorts/UJI-1/edit"), ("post", "/admin/cohorts/UJI-1/edit"),
         ("post", "/admin/cohorts/UJI-1/extensions"), ("post", "/admin/cohorts/UJI-1/roster"),
         ("get", "/admin/cohorts/UJI-1/progress"), ("get", "/admin/cohorts/UJI-1/progress?format=csv"),
         ("get", "/admin/imports/1"), ("get", "/admin/imports/1.json"), ("get", "/admin/outbox")]


def test_teachers_and_anonymous_users_are_refused_on_every_admin_page(app, learning, frozen_clock):
    app.config["WTF_CSRF_ENABLED"] = False
    learning.participant()
    grant(app, TEACHER, "guru")
    grant(app, ADMIN, "admin_angkatan")
    with app.app_context():
        job = roster.create_import(db.session.scalar(select(Cohort)), "x.csv", now=frozen_clock(DURING_2026))
        db.session.commit()
        assert job.id == 1
    anonymous, teacher, admin = app.test_client(), log_in(app, TEACHER), log_in(app, ADMIN)
    for method, url in PAGES:
        assert getattr(anonymous, method)(url).status_code == 401, url
        refused = getattr(teacher, method)(url)
        assert refused.status_code == 403, url
        assert "menu-admin" not in html(refused)
    for method, url in PAGES:
        if method == "get":
            assert admin.get(url).status_code == 200, url
    assert 'data-testid="menu-admin"' in html(admin.get("/admin/"))


def test_a_superadmin_passes_and_a_post_without_csrf_token_is_refused(app, learning, frozen_clock):
    learning.cohort()
    grant(app, "super.satu@belajar.id", "superadmin")
    client = log_in(app, "super.satu@belajar.id")
    assert client.get("/admin/cohorts/UJI-1").status_code == 200
    response = client.post("/admin/cohorts/new", data=cohort_form())
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 1


# --- cohort forms ---------------------------------------------------------------------------------------------

DURING_2026 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_create_cohort_keeps_typed_values_on_a_bad_date_order(app, admin, learning):
    curriculum_id = learning.curriculum()
    form = cohort_form(learning_start="2026-12-20", learning_end="2026-12-01", curriculum_id=str(curriculum_id),
                       timezone="Asia/Makassar", name="Angkatan <Uji> Baru")
    response = admin.post("/admin/cohorts/new", data=form, follow_redirects=True)
    assert refused(response)
    page = html(response)
    assert 'data-testid="error-learning_end"' in page and "sesudah tanggal mulai" in page
    for value in ("BARU-1", "Angkatan &lt;Uji&gt; Baru", "2026", "2026-12-20", "2026-12-01"):
        assert f'value="{value}"' in page, value
    assert '<option value="Asia/Makassar" selected>' in page
    assert f'<option value="{curriculum_id}" selected>' in page

    bad = admin.post("/admin/cohorts/new", data=cohort_form(learning_start="24/07/2024", programme_year="dua"),
                     follow_redirects=True)
    assert refused(bad)
    assert 'value="24/07/2024"' in html(bad) and 'data-testid="error-programme_year"' in html(bad)

    form["learning_start"] = "2026-12-01"
    form["learning_end"] = "2026-12-20"
    response = admin.post("/admin/cohorts/new", data=form)
    assert response.status_code == 302 and response.location.endswith("/admin/cohorts/BARU-1")
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.code == "BARU-1"))
        assert (cohort.learning_start, cohort.learning_end) == (date(2026, 12, 1), date(2026, 12, 20))
        assert cohort.timezone == "Asia/Makassar" and cohort.curriculum_id == curriculum_id
        assert cohort.learning_opens_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 00:00 WITA
    duplicate = admin.post("/admin/cohorts/new", data=form, follow_redirects=True)
    assert refused(duplicate) and "sudah dipakai" in html(duplicate)


def test_edit_changes_the_window_and_records_an_audit_event(app, admin, learning):
    learning.cohort()
    page = html(admin.get("/admin/cohorts/UJI-1/edit"))
    assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page

    bad = admin.post("/admin/cohorts/UJI-1/edit", data=cohort_form(learning_start="2026-11-10",
                                                                   learning_end="2026-11-05", name="Diubah"),
                     follow_redirects=True)
    assert refused(bad)
    assert 'value="2026-11-10"' in html(bad) and 'value="Diubah"' in html(bad)

    response = admin.post("/admin/cohorts/UJI-1/edit", data=cohort_form(
        name="Angkatan Uji Diubah", learning_start="2026-11-01", learning_end="2026-12-15",
        registration_start="2026-12-01", registration_end="2026-12-20"))
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.code == "UJI-1"))
        assert cohort.name == "Angkatan Uji Diubah"
        assert cohort.learning_closes_at == datetime(2026, 12, 15, 17, 0, tzinfo=UTC)
        assert cohort.registration_end == date(2026, 12, 20)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.update")).all()
        admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN))
    assert len(events) == 1  # the refused edit wrote nothing
    assert events[0].subject_id == "UJI-1" and events[0].actor_id == admin_id
    assert events[0].data["old"]["learning_end"] == "2026-11-30"
    assert events[0].data["new"]["learning_end"] == "2026-12-15"
    assert "15 Desember 2026" in html(admin.get("/admin/cohorts/UJI-1"))


def test_programme_year_cannot_change_once_the_cohort_has_participants(app, admin, learning):
    learning.participant()
    form = cohort_form(programme_year="2027", learning_start="2026-11-01", learning_end="2026-11-30")
    response = admin.post("/admin/cohorts/UJI-1/edit", data=form, follow_redirects=True)
    assert refused(response)
    assert "Tahun program tidak dapat diubah" in html(response) and 'value="2027"' in html(response)
    with app.app_context():
        assert db.session.scalar(select(Cohort.programme_year)) == 2026

    learning.cohort(code="KOSONG", start=date(2027, 1, 1), end=date(2027, 1, 31))
    assert admin.post("/admin/cohorts/KOSONG/edit", data=form).status_code == 302


# --- cohort list and timeline ---------------------------------------------------------------------------------

def bars(page: str) -> dict[str, tuple[float, float]]:
    found = re.findall(r'<rect class="bar \w+" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*data-cohort="([^"]+)"',
                       page)
    return {code: (float(x), float(x) + float(width)) for x, width, code in found}


def test_the_cohort_list_draws_one_bar_per_cohort_on_a_shared_axis(app, admin, learning):
    curriculum_id = learning.curriculum()
    for code, start, end in (("PGT2024-T1", date(2024, 7, 24), date(2024, 9, 4)),
                             ("PGT2024-T2", date(2024, 8, 29), date(2024, 10, 8)),
                             ("PGT2024-DJ", date(2024, 9, 23), date(2024, 11, 4))):
        learning.cohort(code=code, curriculum_id=curriculum_id, start=start, end=end, year=2024)
    page = html(admin.get("/admin/"))
    drawn = bars(page)
    assert sorted(drawn) == ["PGT2024-DJ", "PGT2024-T1", "PGT2024-T2"]
    assert page.count('data-testid="timeline-bar"') == 3
    assert drawn["PGT2024-T2"][0] < drawn["PGT2024-T1"][1]  # the windows overlap
    assert drawn["PGT2024-DJ"][0] < drawn["PGT2024-T2"][1]
    assert drawn["PGT2024-T1"][0] < drawn["PGT2024-T2"][0] < drawn["PGT2024-DJ"][0]
    assert 'class="tick-label"' in page and "Agu 2024" in page
    assert 'data-testid="today"' not in page  # 2026 is off this axis
    assert "style=" not in page
    assert "24 Juli 2024 – 4 September 2024" in page

    learning.participant(cohort_id=learning.cohort(curriculum_id=curriculum_id))
    page = html(admin.get("/admin/"))
    assert page.count('data-testid="timeline-bar"') == 4
    assert 'data-testid="today"' in page and "hari ini" in page
    assert re.search(r'data-testid="cohort-UJI-1".*?data-testid="count">1<', page, re.S)


# --- cohort detail and extensions -----------------------------------------------------------------------------

def test_the_cohort_page_filters_and_pages_participants(app, admin, learning):
    cohort_id = learning.cohort()
    for i in range(3):
        learning.participant(f"guru.{i}@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="3273")
    with app.app_context():
        db.session.scalar(select(Enrollment).where(Enrollment.id == 1)).status = "tidak_tuntas"
        db.session.commit()
    page = html(admin.get("/admin/cohorts/UJI-1"))
    assert page.count('data-testid="enrollment"') == 3 and "Kota Bandung" in page
    assert re.search(r'data-testid="count-aktif">.*?<strong>2</strong>', page)
    assert "1 November 2026, 00.00 WIB" in page and "30 November 2026, 23.59 WIB" in page
    filtered = html(admin.get("/admin/cohorts/UJI-1?status=tidak_tuntas"))
    assert filtered.count('data-testid="enrollment"') == 1 and "guru.0@" in filtered
    searched = html(admin.get("/admin/cohorts/UJI-1?q=GURU.2"))
    assert searched.count('data-testid="enrollment"') == 1 and "guru.2@" in searched
    assert html(admin.get("/admin/cohorts/UJI-1?q=%25")).count('data-testid="enrollment"') == 0


def test_cohort_and_outbox_pages_issue_a_fixed_number_of_statements(app, admin, learning):
    cohort_id = learning.cohort()
    counts, enrolled = [], 0
    for size in (1, 6):
        for i in range(enrolled, size):
            learning.participant(f"guru.{i}@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="3273")
        enrolled = size
        with app.app_context():
            reminders.send_reminders(now=datetime(2026, 11, 28, 17, 0, tzinfo=UTC) + timedelta(minutes=size))
            db.session.commit()
        with counted(app) as statements:
            assert admin.get("/admin/cohorts/UJI-1").status_code == 200
            assert admin.get("/admin/outbox").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_extension_form_extends_one_participant_and_is_audited(app, admin, learning):
    enrollment_id = learning.participant()
    form = {"email": TEACHER, "until": "2026-12-10", "reason": "Sakit, surat dokter terlampir"}
    unticked = admin.post("/admin/cohorts/UJI-1/extensions", data=form, follow_redirects=True)  # confirmed first
    assert refused(unticked) and 'data-testid="error-confirm"' in unticked.get_data(as_text=True)
    assert "Sakit, surat dokter terlampir" in unticked.get_data(as_text=True)  # what was typed is kept
    form["confirm"] = "yes"
    response = admin.post("/admin/cohorts/UJI-1/extensions", data=form)
    assert response.status_code == 302
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN))
        assert enrollment.extended_until == datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
        extension = db.session.scalar(select(Extension))
        assert extension.granted_by_id == admin_id and extension.reason == form["reason"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrollment.extend"))
        assert event.actor_id == admin_id and event.subject_id == str(enrollment_id)
    page = html(admin.get("/admin/cohorts/UJI-1"))
    assert "Sakit, surat dokter terlampir" in page and ADMIN in page and "10 Desember 2026, 23.59 WIB" in page

    too_early = admin.post("/admin/cohorts/UJI-1/extensions", data={**form, "until": "2026-11-15", "reason": "Lagi"},
                           follow_redirects=True)
    assert refused(too_early)
    assert 'data-testid="error-until"' in html(too_early) and 'value="2026-11-15"' in html(too_early)
    assert 'value="Lagi"' in html(too_early)
    unknown = admin.post("/admin/cohorts/UJI-1/extensions", data={**form, "email": "bukan@guru.sd.belajar.id"},
                         follow_redirects=True)
    assert refused(unknown) and "bukan peserta angkatan UJI-1" in html(unknown)
    not_a_date = admin.post("/admin/cohorts/UJI-1/extensions", data={**form, "until": "besok"},
                            follow_redirects=True)
    assert refused(not_a_date) and 'data-testid="error-until"' in html(not_a_date)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Extension)) == 1


# --- roster uploads -------------------------------------------------------------------------------------------

def test_a_small_roster_is_imported_at_once(app, admin, learning, tmp_path):
    learning.cohort()
    path = write_csv(tmp_path / "peserta.csv", 5)
    with open(path, "rb") as f:
        response = admin.post("/admin/cohorts/UJI-1/roster", data={"file": (f, "peserta.csv")},
                              content_type="multipart/form-data")
    assert response.status_code == 302
    assert re.search(r"/admin/imports/\d+$", response.location)
    page = html(admin.get(response.location))
    assert 'data-testid="job-status">Selesai<' in page and 'data-testid="import-stats"' in page
    assert "import-progress.js" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 5
        job = db.session.scalar(select(RosterImport))
        assert job.created_by_id == db.session.scalar(select(User.id).where(User.email == ADMIN))
    body = admin.get(f"{response.location}.json").get_json()
    assert body["status"] == "done" and body["stats"]["enrollments_created"] == 5
    detail = html(admin.get("/admin/cohorts/UJI-1"))
    assert detail.count('data-testid="enrollment"') == 5 and "peserta.csv" in detail


def test_a_bad_roster_fails_and_its_bad_lines_are_shown(app, admin, learning):
    learning.cohort()
    good = list(roster_rows(3))
    bad_nik = ("123", *good[1][1:])
    bad_kode = (*good[2][:5], "0000")
    text = csv_text([good[0], bad_nik, bad_kode])
    response = admin.post("/admin/cohorts/UJI-1/roster", data=csv_upload(text))
    assert response.status_code == 302
    page = html(admin.get(response.location))
    assert 'data-testid="job-status">Gagal<' in page
    lines = re.findall(r'<tr data-testid="bad-row"><td class="num">(\d+)</td><td>([^<]+)</td>', page)
    assert [line for line, _reason in lines] == ["3", "4"]
    assert "0000" in lines[1][1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0

    not_utf8 = admin.post("/admin/cohorts/UJI-1/roster", data={"file": (io.BytesIO(b"nik,nama\n\xff\xfe"), "a.csv")})
    assert 'data-testid="file-error"' in html(admin.get(not_utf8.location))


def test_a_roster_upload_needs_a_csv_file(app, admin, learning):
    learning.cohort()
    missing = admin.post("/admin/cohorts/UJI-1/roster", data={}, content_type="multipart/form-data",
                         follow_redirects=True)
    assert refused(missing) and 'data-testid="upload-error"' in html(missing)
    wrong = admin.post("/admin/cohorts/UJI-1/roster", data=csv_upload(roster_text(2), "peserta.xlsx"),
                       follow_redirects=True)
    assert refused(wrong) and "peserta.xlsx" in html(wrong)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RosterImport)) == 0


def test_a_large_roster_is_queued_for_the_worker(app, admin, learning, tmp_path, frozen_clock):
    learning.cohort()
    app.config.update(ROSTER_SYNC_MAX_BYTES=100, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    response = admin.post("/admin/cohorts/UJI-1/roster", data=csv_upload(roster_text(4), "besar.csv"))
    assert response.status_code == 302
    page = html(admin.get(response.location))
    assert 'data-testid="job-status">Dalam antrean<' in page
    assert "import-progress.js" in page and 'data-poll="' in page
    assert admin.get(f"{response.location}.json").get_json()["status"] == "queued"
    with app.app_context():
        job = db.session.scalar(select(RosterImport))
        assert Path(job.stored_path).is_file() and job.filename == "besar.csv"
        roster.import_stored_file(job.id, now=frozen_clock(DURING_2026))
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 4
    assert admin.get(f"{response.location}.json").get_json()["status"] == "done"
    assert list(Path(tmp_path / "uploads" / "rosters").iterdir()) == []


# --- progress and outbox --------------------------------------------------------------------------------------

def test_progress_page_and_csv_download(app, admin, learning):
    cohort_id = learning.cohort()
    learning.participant("guru.a@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="3273")
    learning.participant("guru.b@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="3201")
    learning.participant("guru.c@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="5171")
    page = html(admin.get("/admin/cohorts/UJI-1/progress?group=province"))
    assert page.count('data-testid="progress-row"') == 2 and "Jawa Barat" in page and "Bali" in page
    assert '<option value="province" selected>' in page
    response = admin.get("/admin/cohorts/UJI-1/progress?group=province&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=progres-UJI-1-province.csv"
    table = list(csv.reader(io.StringIO(html(response))))
    assert table[0][:3] == ["province", "nama", "peserta"]
    assert sorted((row[0], row[2]) for row in table[1:]) == [("32", "2"), ("51", "1")]
    kabkota = list(csv.reader(io.StringIO(html(admin.get("/admin/cohorts/UJI-1/progress?group=kabkota&format=csv")))))
    assert len(kabkota) == 4
    assert html(admin.get("/admin/cohorts/UJI-1/progress")).count('data-testid="progress-row"') == 1
    assert admin.get("/admin/cohorts/UJI-1/progress?group=planet").status_code == 422


def test_the_outbox_lists_a_queued_reminder(app, admin, learning, frozen_clock):
    cohort_id = learning.cohort()
    learning.participant(cohort_id=cohort_id, kode_kabkota="5171")
    two_days_before_end = frozen_clock(datetime(2026, 11, 30, 17, 0, tzinfo=UTC) - timedelta(days=2))
    with app.app_context():
        counts = reminders.send_reminders(now=two_days_before_end)
        db.session.commit()
    assert counts["H-3"] == 1
    page = html(admin.get("/admin/outbox"))
    assert page.count('data-testid="outbox-row"') == 1
    assert TEACHER in page and "H-3" in page and "reminder" in page
    assert "Pengingat Sertifikasi Pendidik: 3 hari lagi (H-3)" in page
    assert "1 Desember 2026, 00.59 WITA" in page  # the body, rendered in the participant's zone
    assert 'data-testid="smtp-off"' in page
    app.config["MAIL_SERVER"] = "smtp.example.com"
    assert 'data-testid="smtp-off"' not in html(admin.get("/admin/outbox"))
