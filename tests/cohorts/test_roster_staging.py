"""Roster staging: COPY on PostgreSQL (bad rows still reported by line, good files imported exactly), the fast
row check agrees with the full one, and a NIK already on the roster is not encrypted again."""

from __future__ import annotations

import io
import random

import pytest
from sqlalchemy import func, select

from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.cohorts.roster import reading, staging
from lms.cohorts.roster_models import RosterEntry, RosterImport, RosterImportRow
from lms.core.nik import decrypt_nik, fernet, nik_encryptor, nik_hash, nik_problem
from lms.core.regions import kabkota_table
from lms.extensions import db
from tests.cohorts.test_roster import counts, csv_bytes, good, run


def spy_copies(monkeypatch) -> list[int]:
    """How many rows each COPY staged."""
    copies, real_copy = [], staging._copy

    def counted(data: str):
        copies.append(data.count("\n"))  # one line per row: a line break in a value is escaped
        real_copy(data)

    monkeypatch.setattr(staging, "_copy", counted)
    return copies


@pytest.mark.postgres
def test_copy_staging_reports_exactly_the_bad_line(pg_app, pg_learning, monkeypatch):
    cohort_id = pg_learning.cohort()
    data = good(staging.BATCH_SIZE + 1000)
    middle = staging.BATCH_SIZE // 2 + 1000
    data[middle][3] = "12"  # a bad NPSN, in the middle of the first COPY batch
    copies = spy_copies(monkeypatch)
    result = run(pg_app, cohort_id, csv_bytes(data))
    assert copies == [staging.BATCH_SIZE, 1000]
    assert result["status"] == "failed" and result["error_count"] == 1
    assert [(e["line"], "NPSN" in e["reason"]) for e in result["errors"]] == [(middle + 2, True)]
    assert counts(pg_app) == (0, 0, 0)


@pytest.mark.postgres
def test_copy_staging_keeps_tabs_line_breaks_and_backslashes(pg_app, pg_learning):
    """Values go into COPY's text format escaped: a name or school with a tab, a quoted line break or a backslash
    is stored as written, and a bad row's reason quoting such a value reads back whole."""
    cohort_id = pg_learning.cohort()
    data = good(4)
    data[0][1] = "Siti\tTab \\N"
    data[1][4] = "SD Negeri 1\nBaris\\dua\r"
    data[2][1] = "\\"
    result = run(pg_app, cohort_id, csv_bytes(data))
    assert result["status"] == "done", result
    with pg_app.app_context():
        stored = {e.email: (e.nama, e.satuan_pendidikan) for e in db.session.scalars(select(RosterEntry))}
    assert stored[data[0][2]] == ("Siti\tTab \\N", data[0][4])
    assert stored[data[1][2]] == (data[1][1], "SD Negeri 1\nBaris\\dua")  # the cell is stripped, as before
    assert stored[data[2][2]] == ("\\", data[2][4])
    assert stored[data[3][2]] == (data[3][1], data[3][4])

    bad = good(2, start=10)
    bad[1][2] = "a\tb\\c@example.com"
    result = run(pg_app, cohort_id, csv_bytes(bad))
    assert result["status"] == "failed"
    assert [(e["line"], "a\tb\\c@example.com" in e["reason"]) for e in result["errors"]] == [(3, True)]


@pytest.mark.postgres
def test_copy_staging_imports_a_good_file_exactly(pg_app, pg_learning, monkeypatch):
    cohort_id = pg_learning.cohort()
    data = good(staging.BATCH_SIZE + 1000)
    copies = spy_copies(monkeypatch)
    result = run(pg_app, cohort_id, csv_bytes(data))
    assert copies == [staging.BATCH_SIZE, 1000]
    assert result["status"] == "done" and result["stats"]["inserted"] == len(data)
    assert counts(pg_app) == (len(data),) * 3
    with pg_app.app_context():
        stored = {e.email: e for e in db.session.scalars(select(RosterEntry))}
        assert set(stored) == {row[2] for row in data}
        for row in data[:: len(data) // 50]:
            entry = stored[row[2]]
            assert (entry.nama, entry.npsn, entry.satuan_pendidikan, entry.kode_kabkota) == (*row[1:2], *row[3:])
            assert entry.nik_hash == nik_hash(row[0]) and decrypt_nik(entry.nik_encrypted) == row[0]
        assert db.session.scalar(select(func.count(RosterImportRow.id))) == 0


def test_an_unchanged_nik_is_not_encrypted_again(app, learning, monkeypatch):
    cohort_id = learning.cohort()
    encrypted = []

    def counting_encryptor():
        encrypt = nik_encryptor()

        def counted(niks: list[str]) -> list[str]:
            encrypted.extend(niks)
            return encrypt(niks)

        return counted

    monkeypatch.setattr(staging, "nik_encryptor", counting_encryptor)
    data = good(20)
    assert run(app, cohort_id, csv_bytes(data))["status"] == "done"
    assert sorted(encrypted) == sorted(row[0] for row in data)
    with app.app_context():
        before = dict(db.session.execute(select(RosterEntry.nik_hash, RosterEntry.nik_encrypted)).all())

    encrypted.clear()
    assert run(app, cohort_id, csv_bytes(data))["stats"]["unchanged"] == 20
    assert encrypted == []

    data[3][1] = "Nama Diperbaiki"
    new = good(1, start=100)[0]
    result = run(app, cohort_id, csv_bytes([*data, new]))
    assert result["stats"] == {"inserted": 1, "updated": 1, "unchanged": 19, "accounts_created": 1,
                               "enrollments_created": 1}
    assert encrypted == [new[0]]
    with app.app_context():
        after = dict(db.session.execute(select(RosterEntry.nik_hash, RosterEntry.nik_encrypted)).all())
        assert {k: after[k] for k in before} == before and decrypt_nik(after[nik_hash(new[0])]) == new[0]


def test_the_fast_nik_check_agrees_with_nik_problem(app):
    rng = random.Random(7)
    codes = sorted(kabkota_table())
    with app.app_context():
        ctx = reading.RowContext.for_app({c: i for i, c in enumerate(reading.COLUMNS)})
        niks = [f"{rng.choice(codes + ['9999', '1100'])}{rng.randint(0, 99):02d}{rng.randint(0, 99):02d}"
                f"{rng.randint(0, 13):02d}{rng.randint(0, 99):02d}{rng.choice(['0000', '0001', '4821'])}"
                for _ in range(20000)]
        niks += ["3175012902000001", "3175012902010001", "3175016902000001", "3175013002000001", "31750129020000011",
                 "317501290200000x", "３１７５012902000001"]
        disagree = [n for n in niks if reading._nik_ok(n, ctx) != (nik_problem(n) is None)]
    assert disagree == []
    assert sum(reading._nik_ok(n, ctx) for n in niks) > 1000  # the sample has valid NIKs too


def test_the_staged_row_of_a_known_nik_has_no_ciphertext(app, learning, monkeypatch):
    cohort_id = learning.cohort()
    data = good(3)
    run(app, cohort_id, csv_bytes(data))
    staged = []
    real_apply = roster.applying.apply_rows

    def look(job, cohort, now, todo):
        staged.extend(db.session.execute(select(RosterImportRow.line, RosterImportRow.nik_encrypted)
                                         .order_by(RosterImportRow.line)).all())
        return real_apply(job, cohort, now, todo)

    monkeypatch.setattr(roster.applying, "apply_rows", look)
    new = good(1, start=50)[0]
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "r.csv", now=_now())
        db.session.commit()
        job = roster.run_import(job, io.BytesIO(csv_bytes([*data, new])), now=_now())
        assert job.status == "done" and db.session.get(RosterImport, job.id).stats["inserted"] == 1
    assert [(line, cipher is None) for line, cipher in staged] == [(2, True), (3, True), (4, True), (5, False)]


def _now():
    from tests.learning import DURING

    return DURING


def test_the_fast_encryptor_makes_fernet_tokens(app):
    with app.app_context():
        encrypt, box = nik_encryptor(), fernet()
        tokens = encrypt(["3175012902000001", "3175012902000001", "", "x" * 31, "é" * 9])
        assert [box.decrypt(t.encode()).decode() for t in tokens] == ["3175012902000001", "3175012902000001", "",
                                                                     "x" * 31, "é" * 9]
        assert tokens[0] != tokens[1]  # a fresh IV each time
        assert decrypt_nik(tokens[0]) == "3175012902000001"


@pytest.mark.postgres
def test_a_large_year_is_looked_up_batch_by_batch(pg_app, pg_learning, monkeypatch):
    """Past one batch of entries in the year, the known NIKs are looked up per batch (not read into a set)."""
    cohort_id = pg_learning.cohort()
    monkeypatch.setattr(staging, "BATCH_SIZE", 10)
    data = good(35)
    assert run(pg_app, cohort_id, csv_bytes(data))["status"] == "done"
    encrypted, sets = [], []
    real_few = staging._few_year_hashes

    def counting_encryptor():
        encrypt = nik_encryptor()

        def counted(niks: list[str]) -> list[str]:
            encrypted.extend(niks)
            return encrypt(niks)

        return counted

    def few(year):
        sets.append(real_few(year))
        return sets[-1]

    monkeypatch.setattr(staging, "nik_encryptor", counting_encryptor)
    monkeypatch.setattr(staging, "_few_year_hashes", few)
    new = good(1, start=100)[0]
    result = run(pg_app, cohort_id, csv_bytes([*data, new]))
    assert result["stats"]["inserted"] == 1 and result["stats"]["unchanged"] == 35
    assert sets == [None] and encrypted == [new[0]]
