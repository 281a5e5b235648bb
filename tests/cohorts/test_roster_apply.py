"""The apply phase sends only the statements that have something to do (counted by the check against the
programme year, in the same pass): an unchanged file writes no roster entry, account, enrollment or progress row.
On both backends (PostgreSQL marks and counts in one statement, SQLite in two), with the checks across rows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from lms.auth.models import User
from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core.time import now_utc
from lms.extensions import db
from lms.progress.models import ProgressSummary
from tests.cohorts import test_roster, test_roster_checks
from tests.cohorts.test_roster import counts, csv_bytes, good, run
from tests.queries import counted

TABLES = ("roster_entries", "users", "enrollments", "progress_summary")
WRITE = re.compile(rf"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+({'|'.join(TABLES)})\b", re.IGNORECASE)


@pytest.fixture
def world(backend, request):
    if backend == "sqlite":
        return request.getfixturevalue("app"), request.getfixturevalue("learning")
    return request.getfixturevalue("pg_app"), request.getfixturevalue("pg_learning")


def written(statements: list[str]) -> list[str]:
    """``INSERT INTO t`` / ``UPDATE t`` / ``DELETE FROM t`` of the roster, account, enrollment and progress tables."""
    return [" ".join(m.groups()).upper() for s in statements if (m := WRITE.match(s))]


def test_an_unchanged_file_writes_nothing(world):
    app, learning = world
    cohort_id = learning.cohort()
    data = csv_bytes(good(30))
    with counted(app) as first:
        assert run(app, cohort_id, data)["status"] == "done"
    assert written(first) == ["INSERT INTO ROSTER_ENTRIES", "INSERT INTO USERS", "INSERT INTO ENROLLMENTS",
                              "INSERT INTO PROGRESS_SUMMARY"]
    with counted(app) as again:
        result = run(app, cohort_id, data)
    assert result["stats"] == {"inserted": 0, "updated": 0, "unchanged": 30, "accounts_created": 0,
                               "enrollments_created": 0}
    assert written(again) == []
    assert counts(app) == (30, 30, 30)


def test_each_apply_statement_runs_when_a_row_needs_it(world):
    app, learning = world
    cohort_id = learning.cohort()
    data = good(6)
    assert run(app, cohort_id, csv_bytes(data))["status"] == "done"
    data[1][1] = "Nama Diperbaiki"   # the entry changes, the enrollment stays
    data[2][3] = "87654321"          # another school: the entry changes and the enrollment moves
    new = good(1, start=50)[0]
    with counted(app) as statements:
        result = run(app, cohort_id, csv_bytes([*data, new]))
    assert result["stats"] == {"inserted": 1, "updated": 2, "unchanged": 4, "accounts_created": 1,
                               "enrollments_created": 1}
    assert written(statements) == ["UPDATE ROSTER_ENTRIES", "INSERT INTO ROSTER_ENTRIES", "INSERT INTO USERS",
                                   "UPDATE ENROLLMENTS", "UPDATE PROGRESS_SUMMARY", "INSERT INTO ENROLLMENTS",
                                   "INSERT INTO PROGRESS_SUMMARY"]
    with app.app_context():
        assert db.session.scalar(select(RosterEntry.nama).where(RosterEntry.email == data[1][2])) == "Nama Diperbaiki"
        places = dict(db.session.execute(select(Enrollment.npsn, ProgressSummary.npsn)
                                         .join(ProgressSummary, ProgressSummary.enrollment_id == Enrollment.id)).all())
        assert places["87654321"] == "87654321" and new[3] in places
    assert counts(app) == (7, 7, 7)

    data[3][5] = "7371"  # only the kab/kota: the entry changes and the enrollment moves, nothing is created
    with counted(app) as statements:
        result = run(app, cohort_id, csv_bytes([*data, new]))
    assert result["stats"] == {"inserted": 0, "updated": 1, "unchanged": 6, "accounts_created": 0,
                               "enrollments_created": 0}
    assert written(statements) == ["UPDATE ROSTER_ENTRIES", "UPDATE ENROLLMENTS", "UPDATE PROGRESS_SUMMARY"]


def test_an_existing_account_is_enrolled_without_a_new_account(world):
    app, learning = world
    cohort_id = learning.cohort()
    data = good(2)
    with app.app_context():
        db.session.add(User(email=data[0][2], name="Sudah Ada", created_at=now_utc(), active=True))
        db.session.commit()
    result = run(app, cohort_id, csv_bytes(data))
    assert result["stats"] == {"inserted": 2, "updated": 0, "unchanged": 0, "accounts_created": 1,
                               "enrollments_created": 2}
    assert counts(app) == (2, 2, 2)


def test_duplicates_inside_the_file(world):
    test_roster.test_duplicates_inside_the_file(*world)


def test_the_first_reason_that_applies_is_reported(world):
    test_roster_checks.test_the_first_reason_that_applies_is_reported(*world)


def test_an_email_already_registered_for_another_nik(world):
    test_roster_checks.test_an_email_already_registered_for_another_nik(*world)


def test_same_nik_with_another_email_is_left_to_the_helpdesk(world):
    test_roster.test_same_nik_with_another_email_is_left_to_the_helpdesk(*world)


@pytest.mark.postgres
def test_a_large_first_import_refreshes_the_statistics_its_foreign_keys_are_planned_with(pg_app, pg_learning,
                                                                                         monkeypatch):
    """Statistics taken while the tables were nearly empty (autovacuum on a new installation) made each foreign-key
    look-up of the progress rows scan all of ``enrollments``: quadratic in the import's size. The apply refreshes
    the statistics of the accounts and enrollments it has just written before the rows that refer to them, and
    those of the roster entries, which the next import's check against the programme year is planned with."""
    monkeypatch.setattr("lms.cohorts.roster.applying.RESTATE_ROWS", 40)  # "many", at a test's size
    cohort_id = pg_learning.cohort()
    with pg_app.app_context():
        for table in ("roster_entries", "users", "enrollments"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()
    with counted(pg_app) as statements:
        assert run(pg_app, cohort_id, csv_bytes(good(50)))["status"] == "done"
    assert [s for s in statements if s.startswith("ANALYZE") and "roster_import" not in s] == [
        "ANALYZE roster_entries (cohort_id, programme_year, nik_hash, email)", "ANALYZE users", "ANALYZE enrollments"]
    with pg_app.app_context():
        tuples = dict(db.session.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('roster_entries', 'users', 'enrollments')"
        )).all())
    assert tuples["roster_entries"] >= 50 and tuples["users"] >= 50 and tuples["enrollments"] >= 50, tuples
    with counted(pg_app) as small:
        assert run(pg_app, cohort_id, csv_bytes(good(55)[50:]))["status"] == "done"  # 5 new: not "many"
    assert not [s for s in small if s.startswith("ANALYZE") and "roster_import" not in s]


@pytest.mark.postgres
def test_the_staged_rows_are_analysed_from_a_small_sample_of_the_columns_the_checks_use(pg_app, pg_learning):
    """The checks' plans need the staged rows' count and that their hashes and e-mails are distinct: a sample of
    3 000 rows of five columns, not 30 000 rows of every text column (about three times the time)."""
    cohort_id = pg_learning.cohort()
    with counted(pg_app) as statements:
        assert run(pg_app, cohort_id, csv_bytes(good(5)))["status"] == "done"
    at = statements.index("ANALYZE roster_import_rows (import_id, line, nik_hash, email, error)")
    assert statements[at - 1] == "SET LOCAL default_statistics_target = 10"
    assert not [s for s in statements if s == "ANALYZE roster_import_rows"]


@pytest.mark.postgres
def test_a_nik_of_any_year_is_found_through_the_unique_index_of_the_year(pg_app):
    """Each roster entry fills five indexes: the unique (NIK hash, year) leads with the hash, so it also serves the
    look-up of a NIK across years (cek NIK, help desk), which had an index of its own (migration 0026)."""
    with pg_app.app_context():
        indexes = dict(db.session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'roster_entries'")).all())
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.scalars(text("EXPLAIN SELECT id FROM roster_entries WHERE nik_hash = :h"),
                                            {"h": "0" * 64}))
        db.session.rollback()
    assert set(indexes) == {"pk_roster_entries", "nik_per_year", "email_per_year", "ix_roster_entries_cohort_kabkota",
                            "ix_roster_entries_cohort_npsn"}
    assert "(nik_hash, programme_year)" in indexes["nik_per_year"]
    assert "nik_per_year" in plan, plan
