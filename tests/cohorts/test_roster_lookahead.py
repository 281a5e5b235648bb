"""The look-ahead of known NIKs (``roster.lookups``): on PostgreSQL, past one batch of entries in the year, each
batch's look-up runs one batch ahead in a thread of its own. It stages and imports exactly what the plain path
does (a NIK repeated across batches included); a failed look-up fails the import with nothing applied and leaves
no thread or connection behind; SQLite and a year's first batch keep the plain path."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import select

from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.cohorts.roster import applying, lookups, staging
from lms.cohorts.roster_models import RosterEntry, RosterImportRow
from lms.core.nik import decrypt_nik, nik_encryptor, nik_hash
from lms.extensions import db
from tests.cohorts.test_roster import counts, csv_bytes, good, run
from tests.cohorts.test_roster_failures import Boom, assert_failed_and_nothing_imported, start, totals
from tests.cohorts.test_roster_failures import run as run_job

BATCH = 10
KNOWN = 35  # more than one batch: the year's hashes are looked up batch by batch


class Spies:
    """What the import encrypted, which look-ups ran ahead (and in which thread), what it staged."""

    def __init__(self, monkeypatch, *, look_ahead: bool = True, fail_lookup: int | None = None):
        self.encrypted: list[str] = []
        self.lookups: list[tuple[str, int]] = []
        self.staged: list[tuple[int, bool]] = []
        monkeypatch.setattr(staging, "BATCH_SIZE", BATCH)
        if not look_ahead:
            monkeypatch.setattr(staging, "_looks_ahead", lambda _staging: False)
        real_known, real_check, spies = lookups.known_hashes, applying.check_across_rows, self

        def known(connection, year, hashes):
            spies.lookups.append((threading.current_thread().name, len(hashes)))
            if fail_lookup is not None and len(spies.lookups) == fail_lookup:
                raise Boom("look-up failed")
            return real_known(connection, year, hashes)

        def encryptor():
            encrypt = nik_encryptor()

            def counted(niks):
                spies.encrypted.extend(niks)
                return encrypt(niks)

            return counted

        def check(job, cohort):
            spies.staged.extend(db.session.execute(
                select(RosterImportRow.line, RosterImportRow.nik_encrypted.is_(None))
                .where(RosterImportRow.import_id == job.id).order_by(RosterImportRow.line)).all())
            return real_check(job, cohort)

        monkeypatch.setattr(lookups, "known_hashes", known)
        monkeypatch.setattr(staging, "nik_encryptor", encryptor)
        monkeypatch.setattr(applying, "check_across_rows", check)

    def clear(self) -> None:
        self.encrypted.clear(), self.lookups.clear(), self.staged.clear()


def no_leftovers(app) -> None:
    """No look-up thread alive, no connection of the engine still checked out."""
    assert not [t for t in threading.enumerate() if t.name.startswith("roster-lookup")]
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def entries(app) -> dict[str, tuple]:
    with app.app_context():
        return {e.nik_hash: (e.nama, e.email, e.npsn, e.satuan_pendidikan, e.kode_kabkota, e.nik_encrypted)
                for e in db.session.scalars(select(RosterEntry))}


@pytest.mark.postgres
@pytest.mark.parametrize("look_ahead", [True, False], ids=["look-ahead", "plain"])
def test_a_reimport_and_a_mixed_file_come_out_the_same_either_way(pg_app, pg_learning, monkeypatch, look_ahead):
    cohort_id = pg_learning.cohort()
    spies = Spies(monkeypatch, look_ahead=look_ahead)
    data = good(KNOWN)
    assert run(pg_app, cohort_id, csv_bytes(data))["status"] == "done"
    assert spies.lookups == []  # the year's first import: its (empty) hashes read once, no look-up per batch
    before = entries(pg_app)

    spies.clear()
    result = run(pg_app, cohort_id, csv_bytes(data))
    assert result["stats"] == {"inserted": 0, "updated": 0, "unchanged": KNOWN, "accounts_created": 0,
                               "enrollments_created": 0}
    assert spies.encrypted == [] and spies.staged == [(line, True) for line in range(2, KNOWN + 2)]
    assert entries(pg_app) == before
    # Four batches of 10, 10, 10 and 5 hashes, each looked up in the worker thread, or none at all.
    assert spies.lookups == ([("roster-lookup_0", n) for n in (10, 10, 10, 5)] if look_ahead else [])

    spies.clear()
    new = good(12, start=100)
    mixed = [*data[:8], *new[:4], *data[8:20], *new[4:9], *data[20:], *new[9:]]
    mixed[3][1] = "Nama Diperbaiki"
    result = run(pg_app, cohort_id, csv_bytes(mixed))
    assert result["stats"] == {"inserted": 12, "updated": 1, "unchanged": KNOWN - 1, "accounts_created": 12,
                               "enrollments_created": 12}
    assert sorted(spies.encrypted) == sorted(row[0] for row in new)
    fresh = {row[0] for row in new}
    assert spies.staged == [(line, row[0] not in fresh) for line, row in enumerate(mixed, start=2)]
    after = entries(pg_app)
    assert {k: after[k][5] for k in before} == {k: v[5] for k, v in before.items()}  # old ciphertexts kept
    with pg_app.app_context():
        assert after[nik_hash(data[3][0])][0] == "Nama Diperbaiki"
        assert all(decrypt_nik(after[nik_hash(row[0])][5]) == row[0] for row in new)
    assert len(spies.lookups) == (5 if look_ahead else 0)
    no_leftovers(pg_app)


@pytest.mark.postgres
def test_a_nik_repeated_across_batches_is_staged_and_reported_as_by_the_plain_path(pg_app, pg_learning,
                                                                                  monkeypatch):
    """A known NIK in batches 1 and 2, an unknown one in batches 1 and 3: both copies of the known one are staged
    without a ciphertext, both of the unknown one with one, and the later copy of each is reported."""
    cohort_id = pg_learning.cohort()
    spies = Spies(monkeypatch)
    data = good(KNOWN)
    assert run(pg_app, cohort_id, csv_bytes(data))["status"] == "done"
    unknown = good(1, start=200)[0]
    file = [*data[:5], unknown, *data[5:25]]  # the unknown NIK at line 7 (batch 1)
    file[15] = [data[2][0], *good(1, start=300)[0][1:]]  # the known NIK of line 4 again at line 17 (batch 2)
    file[22] = [unknown[0], *good(1, start=400)[0][1:]]  # the unknown NIK again at line 24 (batch 3)
    body = csv_bytes(file)
    expected_errors = {17: "NIK sama dengan baris 4", 24: "NIK sama dengan baris 7"}

    outcomes = []
    for look_ahead in (True, False):
        spies.clear()
        if not look_ahead:
            monkeypatch.setattr(staging, "_looks_ahead", lambda _staging: False)
        result = run(pg_app, cohort_id, body)
        assert result["status"] == "failed"
        assert {e["line"]: e["reason"] for e in result["errors"]} == expected_errors
        assert len(spies.lookups) == (3 if look_ahead else 0)
        outcomes.append((result["errors"], sorted(spies.encrypted), spies.staged[:]))
    assert outcomes[0] == outcomes[1]
    errors, encrypted, staged = outcomes[0]
    assert encrypted == [unknown[0]] * 2
    assert {line for line, no_cipher in staged if not no_cipher} == {7, 24}
    assert counts(pg_app) == (KNOWN,) * 3
    no_leftovers(pg_app)


@pytest.mark.postgres
@pytest.mark.parametrize("failing", [1, 3])
def test_a_failed_lookup_fails_the_import_and_applies_nothing(pg_app, pg_learning, monkeypatch, failing):
    """The first look-up (raised while the second batch is read) or a later one: the import ends ``failed``
    with the server error's reason, nothing applied; the thread and its connection are gone."""
    cohort_id = pg_learning.cohort()
    data = good(KNOWN)
    assert run(pg_app, cohort_id, csv_bytes(data))["status"] == "done"
    spies = Spies(monkeypatch, fail_lookup=failing)
    before = totals(pg_app)
    changed = [list(row) for row in (*data, *good(8, start=100))]
    changed[0][1] = "Nama Baru"
    job_id = start(pg_app, cohort_id)
    assert_failed_and_nothing_imported(pg_app, job_id, before, run_job(pg_app, job_id, csv_bytes(changed)))
    assert len(spies.lookups) >= failing and spies.staged == []
    stored = entries(pg_app)
    with pg_app.app_context():
        assert stored[nik_hash(data[0][0])][0] == data[0][1]
    no_leftovers(pg_app)


@pytest.mark.postgres
def test_an_interrupt_while_looking_ahead_leaves_no_thread_or_connection(pg_app, pg_learning, monkeypatch):
    cohort_id = pg_learning.cohort()
    data = good(KNOWN)
    assert run(pg_app, cohort_id, csv_bytes(data))["status"] == "done"
    spies = Spies(monkeypatch)
    copies, real_copy = [], staging._copy

    def interrupted(text):
        copies.append(text)
        if len(copies) == 2:
            raise KeyboardInterrupt
        real_copy(text)

    monkeypatch.setattr(staging, "_copy", interrupted)
    with pg_app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "r.csv", now=_now())
        db.session.commit()
        with pytest.raises(KeyboardInterrupt):
            roster.run_import(job, io.BytesIO(csv_bytes(data)), now=_now())
        db.session.rollback()
    assert len(copies) == 2 and len(spies.lookups) >= 2
    no_leftovers(pg_app)
    assert counts(pg_app) == (KNOWN,) * 3


def test_sqlite_and_a_small_year_keep_the_plain_path(app, learning, monkeypatch):
    cohort_id = learning.cohort()
    spies = Spies(monkeypatch)
    entered = []
    real_enter = lookups.LookAhead.__enter__
    monkeypatch.setattr(lookups.LookAhead, "__enter__", lambda self: entered.append(1) or real_enter(self))
    data = good(KNOWN)
    assert run(app, cohort_id, csv_bytes(data))["status"] == "done"
    assert entered == []  # the year's first import: nothing to look up batch by batch
    result = run(app, cohort_id, csv_bytes([*data, *good(3, start=100)]))
    assert result["stats"]["inserted"] == 3 and result["stats"]["unchanged"] == KNOWN
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    assert (entered, len(spies.lookups)) == (([1], 4) if postgres else ([], 0))


def _now():
    from tests.learning import DURING

    return DURING
