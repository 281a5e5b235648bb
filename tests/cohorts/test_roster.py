"""Roster import: every row checked, errors by line, whole file or nothing, re-import changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from bench.datagen import HEADER, rows
from lms.auth.models import User
from lms.cohorts import roster
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry, RosterImportRow
from lms.core.nik import decrypt_nik, nik_hash
from lms.extensions import db


def csv_bytes(data_rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(header)
    writer.writerows(data_rows)
    return out.getvalue().encode()


def run(app, cohort_id, data: bytes):
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        job = roster.create_import(cohort, "roster.csv", now=_now())
        db.session.commit()
        job = roster.run_import(job, io.BytesIO(data), now=_now())
        return {"status": job.status, "stats": job.stats, "file_error": job.file_error,
                "errors": roster.errors_of(job, limit=None), "error_count": job.error_count}


def _now():
    from tests.learning import DURING

    return DURING


def counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(RosterEntry.id))), db.session.scalar(select(func.count(User.id))),
                db.session.scalar(select(func.count(Enrollment.id))))


def good(n=5, **kwargs):
    return [list(r) for r in rows(n, **kwargs)]


def test_a_good_file_creates_entries_accounts_and_enrollments(app, learning):
    cohort_id = learning.cohort()
    data = good(5)
    result = run(app, cohort_id, csv_bytes(data))
    assert result["status"] == "done", result
    assert result["stats"] == {"inserted": 5, "updated": 0, "unchanged": 0, "accounts_created": 5,
                               "enrollments_created": 5}
    assert counts(app) == (5, 5, 5)
    with app.app_context():
        entry = db.session.scalar(select(RosterEntry).where(RosterEntry.email == data[0][2]))
        # NIK only as a keyed hash and encrypted, never in clear.
        assert entry.nik_hash == nik_hash(data[0][0]) and data[0][0] not in entry.nik_encrypted
        assert decrypt_nik(entry.nik_encrypted) == data[0][0]
        enrollment = db.session.scalar(select(Enrollment).join(User).where(User.email == data[0][2]))
        assert enrollment.status == "aktif" and enrollment.kode_kabkota == data[0][5]
        assert db.session.scalar(select(func.count(RosterImportRow.id))) == 0  # staging cleaned


def snapshot():
    return [(e.id, e.nama, e.email, e.updated_at)
            for e in db.session.scalars(select(RosterEntry).order_by(RosterEntry.id))]


def test_reimporting_the_same_file_changes_nothing(app, learning):
    cohort_id = learning.cohort()
    data = csv_bytes(good(8))
    run(app, cohort_id, data)
    with app.app_context():
        before = snapshot()
    again = run(app, cohort_id, data)
    assert again["stats"] == {"inserted": 0, "updated": 0, "unchanged": 8, "accounts_created": 0,
                              "enrollments_created": 0}
    with app.app_context():
        after = snapshot()
    assert before == after and counts(app) == (8, 8, 8)


def test_a_changed_row_is_updated(app, learning):
    cohort_id = learning.cohort()
    data = good(3)
    run(app, cohort_id, csv_bytes(data))
    data[1][1] = "Nama Diperbaiki"
    data[1][5] = "7371"
    result = run(app, cohort_id, csv_bytes(data))
    assert result["stats"]["updated"] == 1 and result["stats"]["unchanged"] == 2
    with app.app_context():
        assert db.session.scalar(select(RosterEntry.nama).where(RosterEntry.email == data[1][2])) == "Nama Diperbaiki"
        enrollment = db.session.scalar(select(Enrollment).join(User).where(User.email == data[1][2]))
        assert enrollment.kode_kabkota == "7371"


@pytest.mark.parametrize("field,value,reason", [
    (0, "12345", "16 digit"),
    (0, "9999015505900001", "Kode wilayah NIK (9999)"),
    (0, "7371019905900001", "Tanggal lahir"),
    (2, "guru@gmail.com", "bukan akun belajar.id"),
    (2, "guru@belajar.id.example.com", "bukan akun belajar.id"),
    (3, "123", "NPSN"),
    (5, "9999", "Kode kab/kota 9999"),
    (1, "", "Nama wajib"),
])
def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(app, learning, field, value, reason):
    cohort_id = learning.cohort()
    data = good(4)
    data[2][field] = value
    result = run(app, cohort_id, csv_bytes(data))
    assert result["status"] == "failed"
    assert len(result["errors"]) == 1 and result["errors"][0]["line"] == 4  # header is line 1
    assert reason in result["errors"][0]["reason"]
    assert counts(app) == (0, 0, 0)


def test_every_bad_row_is_reported(app, learning):
    cohort_id = learning.cohort()
    data = good(6)
    data[0][0] = "1"
    data[3][2] = "x@gmail.com"
    data[5][5] = "0000"
    result = run(app, cohort_id, csv_bytes(data))
    assert [e["line"] for e in result["errors"]] == [2, 5, 7] and result["error_count"] == 3


def test_duplicates_inside_the_file(app, learning):
    cohort_id = learning.cohort()
    data = good(4)
    data[3][0] = data[0][0]          # same NIK as line 2
    data[2][2] = data[1][2].upper()  # same e-mail as line 3 (case-insensitive)
    result = run(app, cohort_id, csv_bytes(data))
    reasons = {e["line"]: e["reason"] for e in result["errors"]}
    assert reasons == {5: "NIK sama dengan baris 2", 4: "E-mail sama dengan baris 3"}
    assert counts(app) == (0, 0, 0)


def test_clash_with_another_cohort_of_the_same_year(app, learning):
    curriculum_id = learning.curriculum()
    first = learning.cohort(code="T1", curriculum_id=curriculum_id)
    second = learning.cohort(code="T2", curriculum_id=curriculum_id, start=date(2026, 11, 10), end=date(2026, 12, 20))
    next_year = learning.cohort(code="T27", curriculum_id=curriculum_id, year=2027)
    data = good(3)
    assert run(app, first, csv_bytes(data))["status"] == "done"
    clash = run(app, second, csv_bytes(data[:1]))
    assert clash["status"] == "failed" and "T1" in clash["errors"][0]["reason"]
    assert run(app, next_year, csv_bytes(data[:1]))["status"] == "done"  # another programme year is fine


def test_same_nik_with_another_email_is_left_to_the_helpdesk(app, learning):
    cohort_id = learning.cohort()
    data = good(2)
    run(app, cohort_id, csv_bytes(data))
    data[0][2] = "akun.baru@guru.sd.belajar.id"
    result = run(app, cohort_id, csv_bytes(data))
    assert result["status"] == "failed" and "Pusat Bantuan" in result["errors"][0]["reason"]


@pytest.mark.parametrize("data,message", [
    (b"", "kosong"),
    (csv_bytes([], header=HEADER), "tidak berisi data"),
    (csv_bytes([["7371015505900001", "A", "a@belajar.id", "12345678", "SD", "7371"]],
               header=("nik", "nama", "email", "npsn", "sekolah", "kode_kabkota")), "satuan_pendidikan"),
    ("nik,nama,email,npsn,satuan_pendidikan,kode_kabkota\n7371015505900001,Guru Dú,a@belajar.id,12345678,SD,7371\n"
     .encode("latin-1"), "UTF-8"),
])
def test_whole_file_problems(app, learning, data, message):
    cohort_id = learning.cohort()
    result = run(app, cohort_id, data)
    assert result["status"] == "failed" and message in result["file_error"]
    assert counts(app) == (0, 0, 0)


def test_utf8_bom_and_extra_columns_are_accepted(app, learning):
    cohort_id = learning.cohort()
    data = good(2)
    body = csv_bytes([r + ["catatan"] for r in data], header=(*HEADER, "catatan"))
    result = run(app, cohort_id, b"\xef\xbb\xbf" + body)
    assert result["status"] == "done" and result["stats"]["inserted"] == 2


def test_roster_cli(app, learning, tmp_path):
    learning.cohort(code="CLI-1")
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(good(3)))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["roster", "import", str(path), "--cohort", "CLI-1"])
    assert ok.exit_code == 0 and "3 new" in ok.output
    data = good(3)
    data[1][0] = "1"
    path.write_bytes(csv_bytes(data))
    bad = runner.invoke(args=["roster", "import", str(path), "--cohort", "CLI-1"])
    assert bad.exit_code == 1 and "line 3:" in bad.output and "nothing was imported" in bad.output
    missing = runner.invoke(args=["roster", "import", str(path), "--cohort", "NOPE"])
    assert missing.exit_code != 0 and "NOPE" in missing.output
