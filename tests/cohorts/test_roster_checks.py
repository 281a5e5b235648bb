"""The checks across rows, each reason on its own and their order when several apply to one row."""

from __future__ import annotations

from datetime import date

from tests.cohorts.test_roster import counts, csv_bytes, good, run


def two_cohorts(learning):
    curriculum_id = learning.curriculum()
    first = learning.cohort(code="T1", curriculum_id=curriculum_id)
    second = learning.cohort(code="T2", curriculum_id=curriculum_id, start=date(2026, 11, 10), end=date(2026, 12, 20))
    return first, second


def test_an_account_enrolled_in_another_cohort_of_the_year(app, learning):
    first, second = two_cohorts(learning)
    data = good(3)
    learning.participant(email=data[1][2], cohort_id=first)  # enrolled in T1 without a roster entry
    before = counts(app)
    result = run(app, second, csv_bytes(data))
    assert [(e["line"], e["reason"]) for e in result["errors"]] == [
        (3, "Akun ini sudah peserta angkatan lain tahun yang sama: T1")]
    assert counts(app) == before


def test_an_email_already_registered_for_another_nik(app, learning):
    cohort_id = learning.cohort()
    data = good(3)
    assert run(app, cohort_id, csv_bytes(data))["status"] == "done"
    other = good(1, start=40)[0]
    other[2] = data[0][2]  # a new NIK with the e-mail of the first participant
    result = run(app, cohort_id, csv_bytes([*data[1:], other]))
    assert [(e["line"], e["reason"]) for e in result["errors"]] == [
        (4, "E-mail ini sudah terdaftar untuk NIK lain di angkatan ini.")]


def test_the_first_reason_that_applies_is_reported(app, learning):
    first, second = two_cohorts(learning)
    data = good(4)
    assert run(app, first, csv_bytes(data[:2]))["status"] == "done"
    learning.participant(email=data[3][2], cohort_id=first)
    rows = [
        data[0],                                    # line 2: NIK in T1 -> clash, with T1's code
        [data[2][0], *data[1][1:]],                 # line 3: e-mail of T1's line 3 with a new NIK -> clash by e-mail
        data[3],                                    # line 4: account enrolled in T1 -> enrolled elsewhere
        [data[2][0], *good(1, start=60)[0][1:]],    # line 5: same NIK as line 3 -> duplicate, reported first
    ]
    result = run(app, second, csv_bytes(rows))
    assert [(e["line"], e["reason"]) for e in result["errors"]] == [
        (2, "Sudah terdaftar di angkatan lain tahun yang sama: T1"),
        (3, "Sudah terdaftar di angkatan lain tahun yang sama: T1"),
        (4, "Akun ini sudah peserta angkatan lain tahun yang sama: T1"),
        (5, "NIK sama dengan baris 3"),
    ]
