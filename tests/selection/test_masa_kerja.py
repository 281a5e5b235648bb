"""Masa kerja (SPEC §5, seed 003 §1g): the seed's four examples, edge cases, properties, and the CLI command.

Month indexes below are ``year * 12 + month - 1``; only the month of a date matters, so the day of month is
arbitrary wherever the seed gives none.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.selection.candidate import JENJANG, Period, Qualification, parse_candidate
from lms.selection.masa_kerja import MasaKerja, masa_kerja, masa_kerja_command, masa_kerja_of, month_index


def ym(total_months: int) -> tuple[int, int]:
    return total_months // 12, total_months % 12


def result_ym(result: MasaKerja) -> tuple[int, int]:
    return result.years, result.months


# --- the seed's four examples -------------------------------------------------------------------------------------

def test_seed_example_1_pns_after_honorer_is_cumulative():
    """Contoh 1: 10 y 5 m as PNS after 5 y 2 m as honorer at an SD -> 15 y 7 m.

    The seed gives durations only. Model: honorer Jan 2000 - Feb 2005 (62 months = 5 y 2 m), then PNS from
    Mar 2005 (open-ended) to the reference month Jul 2015 (125 months = 10 y 5 m). An S-1 from 1999 qualifies
    both periods.
    """
    honorer = Period(date(2000, 1, 3), date(2005, 2, 28), "HONORER")
    pns = Period(date(2005, 3, 1), None, "PNS")
    ijazah = (Qualification("S-1", date(1999, 8, 20)),)
    as_of = date(2015, 7, 31)

    assert result_ym(masa_kerja([honorer], [], ijazah, as_of=as_of)) == (5, 2)
    assert result_ym(masa_kerja([pns], [], ijazah, as_of=as_of)) == (10, 5)
    result = masa_kerja([honorer, pns], [], ijazah, as_of=as_of)
    assert result == MasaKerja(187)
    assert result_ym(result) == (15, 7)


def test_seed_example_2_months_not_teaching_are_subtracted():
    """Contoh 2: several private SMPs since Jan 1990; to Mar 2016 that is 26 y 3 m (315 months, both ends included).
    Not teaching in 2009-2010 for 24 months, modelled as Jan 2009 - Dec 2010 -> 24 y 3 m.

    "Beberapa SMP swasta" is modelled as two schools whose periods overlap in the first half of 2000, so the
    example also shows overlapping periods counted once. The D-III (1989) predates all teaching.
    """
    schools = [Period(date(1990, 1, 2), date(2000, 6, 30), "GTY"), Period(date(2000, 1, 10), None, "GTY")]
    ijazah = (Qualification("D-III", date(1989, 9, 1)),)
    as_of = date(2016, 3, 15)
    gap = [Period(date(2009, 1, 1), date(2010, 12, 31), "alasan keluarga")]

    assert masa_kerja(schools, [], ijazah, as_of=as_of) == MasaKerja(26 * 12 + 3)
    result = masa_kerja(schools, gap, ijazah, as_of=as_of)
    assert result.total_months == 315 - 24 == 291
    assert result_ym(result) == (24, 3)


def test_seed_example_3_teaching_on_an_sma_diploma_does_not_count():
    """Contoh 3: GTT at a yayasan SMP from 2004 on an SMA diploma, S-1 in Oct 2008, CPNS in Dec 2009.

    Counting starts in Oct 2008 (the S-1). The seed names no reference date; we use Dec 2015 as in example 4
    (registration for the 2016 certification): Oct 2008 - Dec 2015 = 87 months = 7 y 3 m. The 2004 SK starts in
    Jul 2004 (start of the school year); that choice does not affect the result.
    """
    teaching = [Period(date(2004, 7, 1), date(2009, 11, 30), "GTT"), Period(date(2009, 12, 1), None, "PNS")]
    sma = Qualification("SMA", date(2003, 6, 1))
    s1 = Qualification("S-1", date(2008, 10, 15))
    as_of = date(2015, 12, 31)

    result = masa_kerja(teaching, [], (sma, s1), as_of=as_of)
    assert result.total_months == 87
    assert result_ym(result) == (7, 3)
    # The 2004-2008 teaching is not counted: on the SMA diploma alone there is no masa kerja at all.
    assert masa_kerja(teaching, [], (sma,), as_of=as_of) == MasaKerja(0)
    # Were SMA the lowest qualifying diploma, Jul 2004 - Dec 2015 would count (138 months).
    assert masa_kerja(teaching, [], (sma, s1), as_of=as_of, lowest_qualifying="SMA") == MasaKerja(138)


def test_seed_example_4_teaching_on_a_d_iii_counts_and_the_seed_total_is_inconsistent():
    """Contoh 4: D-III in 2002, S-1 in Oct 2008, honorer at an SMA Negeri from 1 Aug 2003, CPNS in 2010,
    reference Dec 2015.

    DISCREPANCY (written down as SPEC §5 asks): the seed states 13 y 4 m (160 months). Its own dates do not give
    that: teaching on the D-III counts from Aug 2003, and Aug 2003 - Dec 2015 with both months included is
    149 months = 12 y 5 m, 11 months less than stated. 13 y 4 m would need counting from Sep 2002 (before any
    teaching) or a reference month of Nov 2016 (after registration). We assert what the rule gives: 12 y 5 m.

    Modelling: the D-III month in 2002 is not stated; any month of 2002 gives the same result because teaching
    starts later. The CPNS month in 2010 is not stated either; it only splits one continuous span of teaching.
    """
    teaching = [Period(date(2003, 8, 1), date(2009, 12, 31), "HONORER"), Period(date(2010, 1, 1), None, "PNS")]
    ijazah = (Qualification("D-III", date(2002, 9, 1)), Qualification("S-1", date(2008, 10, 1)))
    as_of = date(2015, 12, 31)

    result = masa_kerja(teaching, [], ijazah, as_of=as_of)
    assert result.total_months == 149
    assert result_ym(result) == (12, 5)
    assert result_ym(result) != (13, 4)  # the seed's stated figure
    # With the S-1 only (Oct 2008), the D-III years would be lost: Oct 2008 - Dec 2015 = 7 y 3 m.
    assert result_ym(masa_kerja(teaching, [], ijazah[1:], as_of=as_of)) == (7, 3)


# --- edge cases -------------------------------------------------------------------------------------------------

D3_EARLY = (Qualification("D-III", date(1980, 1, 1)),)


def test_overlapping_teaching_periods_are_not_counted_twice():
    # Two schools at once Jan-Dec 2010 and a third nested inside: 12 months, not 12 + 12 + 3.
    periods = [Period(date(2010, 1, 1), date(2010, 12, 31)), Period(date(2010, 1, 1), date(2010, 12, 31)),
               Period(date(2010, 5, 1), date(2010, 7, 1))]
    assert masa_kerja(periods, [], D3_EARLY, as_of=date(2020, 1, 1)) == MasaKerja(12)
    # Partial overlap: Jan-Jun and Apr-Sep -> Jan-Sep, 9 months.
    periods = [Period(date(2010, 1, 1), date(2010, 6, 1)), Period(date(2010, 4, 1), date(2010, 9, 1))]
    assert masa_kerja(periods, [], D3_EARLY, as_of=date(2020, 1, 1)) == MasaKerja(9)


def test_start_and_end_month_are_both_included():
    # Within one month: 1 month. Jan 31 to Feb 1: 2 months.
    as_of = date(2011, 1, 1)
    assert masa_kerja([Period(date(2010, 3, 5), date(2010, 3, 20))], [], D3_EARLY, as_of=as_of) == MasaKerja(1)
    assert masa_kerja([Period(date(2010, 1, 31), date(2010, 2, 1))], [], D3_EARLY, as_of=as_of) == MasaKerja(2)


def test_not_teaching_partly_outside_teaching_subtracts_only_the_overlap():
    teaching = [Period(date(2010, 1, 1), date(2010, 12, 31))]
    # Not teaching Oct 2010 - Mar 2011: only Oct-Dec 2010 (3 months) lie in teaching.
    gap = [Period(date(2010, 10, 1), date(2011, 3, 31))]
    assert masa_kerja(teaching, gap, D3_EARLY, as_of=date(2020, 1, 1)) == MasaKerja(9)
    # Not teaching Jun 2009 - Feb 2010: Jan-Feb 2010 (2 months).
    gap = [Period(date(2009, 6, 1), date(2010, 2, 28))]
    assert masa_kerja(teaching, gap, D3_EARLY, as_of=date(2020, 1, 1)) == MasaKerja(10)
    # Entirely outside: nothing. Overlapping gaps: counted once (Mar-Jun).
    assert masa_kerja(teaching, [Period(date(2012, 1, 1), date(2013, 1, 1))], D3_EARLY,
                      as_of=date(2020, 1, 1)) == MasaKerja(12)
    gaps = [Period(date(2010, 3, 1), date(2010, 5, 1)), Period(date(2010, 4, 1), date(2010, 6, 1))]
    assert masa_kerja(teaching, gaps, D3_EARLY, as_of=date(2020, 1, 1)) == MasaKerja(8)


def test_diploma_obtained_mid_period_counts_from_its_month():
    teaching = [Period(date(2005, 1, 1), date(2010, 12, 31))]
    # D-III in 20 Jul 2008: Jul 2008 - Dec 2010 = 30 months (the graduation month itself counts).
    d3 = [Qualification("D-III", date(2008, 7, 20))]
    assert masa_kerja(teaching, [], d3, as_of=date(2020, 1, 1)) == MasaKerja(30)
    # The first qualifying diploma decides, in whatever order they are listed.
    quals = [Qualification("S-2", date(2009, 1, 1)), Qualification("D-IV", date(2006, 1, 1)),
             Qualification("SMA", date(2000, 1, 1))]
    assert masa_kerja(teaching, [], quals, as_of=date(2020, 1, 1)) == MasaKerja(60)


def test_no_qualifying_diploma_gives_zero():
    teaching = [Period(date(2000, 1, 1), None)]
    assert masa_kerja(teaching, [], [], as_of=date(2020, 1, 1)) == MasaKerja(0)
    assert masa_kerja(teaching, [], [Qualification("SMA", date(1999, 1, 1)), Qualification("D-II", date(2001, 1, 1))],
                      as_of=date(2020, 1, 1)) == MasaKerja(0)


def test_d_i_and_d_ii_count_only_when_the_parameter_admits_them():
    teaching = [Period(date(2000, 1, 1), date(2009, 12, 31))]
    d1 = [Qualification("D-I", date(2002, 1, 1))]
    d2 = [Qualification("D-II", date(2004, 1, 1))]
    as_of = date(2020, 1, 1)
    assert masa_kerja(teaching, [], d1, as_of=as_of) == MasaKerja(0)
    assert masa_kerja(teaching, [], d1, as_of=as_of, lowest_qualifying="D-I") == MasaKerja(96)
    assert masa_kerja(teaching, [], d2, as_of=as_of, lowest_qualifying="D-I") == MasaKerja(72)
    assert masa_kerja(teaching, [], d1, as_of=as_of, lowest_qualifying="D-II") == MasaKerja(0)
    assert masa_kerja(teaching, [], d1 + d2, as_of=as_of, lowest_qualifying="D-II") == MasaKerja(72)
    with pytest.raises(ValueError, match="jenjang tidak dikenal"):
        masa_kerja(teaching, [], d1, as_of=as_of, lowest_qualifying="S1")


def test_reference_month_before_any_teaching_gives_zero():
    teaching = [Period(date(2010, 5, 1), None)]
    assert masa_kerja(teaching, [], D3_EARLY, as_of=date(2010, 4, 30)) == MasaKerja(0)
    assert masa_kerja(teaching, [], D3_EARLY, as_of=date(2010, 5, 1)) == MasaKerja(1)
    # A reference month before the diploma: 0 as well.
    assert masa_kerja(teaching, [], [Qualification("S-1", date(2012, 1, 1))], as_of=date(2011, 1, 1)) == MasaKerja(0)


def test_open_ended_period_runs_to_the_reference_month_and_closed_ones_are_cut_there():
    open_ended = [Period(date(2010, 1, 1), None)]
    assert masa_kerja(open_ended, [], D3_EARLY, as_of=date(2010, 12, 1)) == MasaKerja(12)
    assert masa_kerja(open_ended, [], D3_EARLY, as_of=date(2015, 6, 30)) == MasaKerja(66)
    closed = [Period(date(2010, 1, 1), date(2030, 1, 1))]
    assert masa_kerja(closed, [], D3_EARLY, as_of=date(2010, 12, 1)) == MasaKerja(12)
    # An open-ended period of not teaching also runs to the reference month.
    assert masa_kerja(open_ended, [Period(date(2010, 7, 1), None)], D3_EARLY, as_of=date(2015, 6, 30)) == MasaKerja(6)


def test_masa_kerja_value_and_candidate_convenience():
    assert MasaKerja(187).as_dict() == {"total_months": 187, "years": 15, "months": 7}
    assert MasaKerja(0).as_dict() == {"total_months": 0, "years": 0, "months": 0}
    candidate, reasons = parse_candidate(candidate_json())
    assert reasons == []
    assert masa_kerja_of(candidate, as_of=date(2016, 3, 1)) == MasaKerja(291)
    assert masa_kerja_of(candidate, as_of=date(2016, 3, 1), lowest_qualifying="S-1") == MasaKerja(0)


# --- properties -------------------------------------------------------------------------------------------------

LOW, HIGH = month_index(date(1985, 1, 1)), month_index(date(2025, 12, 1))
MODEST = settings(max_examples=200, deadline=None)


def month_date(index: int, day: int) -> date:
    return date(index // 12, index % 12 + 1, day)


@st.composite
def periods(draw, *, open_end: bool = True) -> Period:
    start = draw(st.integers(LOW, HIGH))
    end = None if open_end and draw(st.booleans()) else draw(st.integers(start, min(start + 240, HIGH)))
    days = st.integers(1, 28)
    return Period(month_date(start, draw(days)), None if end is None else month_date(end, draw(days)))


qualifications = st.builds(lambda jenjang, index, day: Qualification(jenjang, month_date(index, day)),
                           st.sampled_from(JENJANG), st.integers(LOW - 60, HIGH), st.integers(1, 28))
references = st.builds(month_date, st.integers(LOW, HIGH + 12), st.integers(1, 28))
teaching_lists = st.lists(periods(), max_size=6)
gap_lists = st.lists(periods(open_end=False), max_size=4)
qualification_lists = st.lists(qualifications, max_size=3)
lowest = st.sampled_from(JENJANG)


def slow_masa_kerja(teaching, not_teaching, kualifikasi, *, as_of, lowest_qualifying="D-III") -> int:
    """The SPEC §5 definition read literally: build the set of calendar months and count it."""
    ranks = {jenjang: rank for rank, jenjang in enumerate(JENJANG)}
    qualifying = [q.tanggal_lulus for q in kualifikasi if ranks[q.jenjang] >= ranks[lowest_qualifying]]
    if not qualifying:
        return 0
    first = min(qualifying)
    first_month, reference = (first.year, first.month), (as_of.year, as_of.month)

    def months(period: Period) -> set[tuple[int, int]]:
        end = period.selesai or as_of
        found, year, month = set(), period.mulai.year, period.mulai.month
        while (year, month) <= (end.year, end.month):
            found.add((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    taught = set().union(*(months(p) for p in teaching))
    absent = set().union(*(months(p) for p in not_teaching))
    return len({m for m in taught - absent if first_month <= m <= reference})


@MODEST
@given(teaching_lists, gap_lists, qualification_lists, references, lowest)
def test_agrees_with_the_literal_set_of_months(teaching, gaps, quals, as_of, lowest_qualifying):
    fast = masa_kerja(teaching, gaps, quals, as_of=as_of, lowest_qualifying=lowest_qualifying)
    assert fast.total_months == slow_masa_kerja(teaching, gaps, quals, as_of=as_of,
                                                lowest_qualifying=lowest_qualifying)


@MODEST
@given(teaching_lists, gap_lists, qualification_lists, references, st.data())
def test_overlapping_periods_are_never_counted_twice(teaching, gaps, quals, as_of, data):
    result = masa_kerja(teaching, gaps, quals, as_of=as_of).total_months
    if teaching:
        duplicated = data.draw(st.sampled_from(teaching))
        assert masa_kerja([*teaching, duplicated], gaps, quals, as_of=as_of).total_months == result
        assert masa_kerja(teaching * 2, gaps, quals, as_of=as_of).total_months == result
        earliest = min(month_index(p.mulai) for p in teaching)
        assert result <= max(0, month_index(as_of) - earliest + 1)
    else:
        assert result == 0


@MODEST
@given(teaching_lists, gap_lists, qualification_lists, references, periods(open_end=False))
def test_adding_a_gap_never_increases_the_total(teaching, gaps, quals, as_of, gap):
    before = masa_kerja(teaching, gaps, quals, as_of=as_of).total_months
    assert masa_kerja(teaching, [*gaps, gap], quals, as_of=as_of).total_months <= before


@MODEST
@given(teaching_lists, gap_lists, qualification_lists, references, periods(), st.data())
def test_splitting_a_teaching_period_into_adjacent_ones_changes_nothing(teaching, gaps, quals, as_of, whole, data):
    start = month_index(whole.mulai)
    end = HIGH + 12 if whole.selesai is None else month_index(whole.selesai)
    if start == end:
        return
    cut = data.draw(st.integers(start, end - 1), label="last month of the first part")
    days = st.integers(1, 28)
    first = Period(whole.mulai, month_date(cut, data.draw(days)))
    second = Period(month_date(cut + 1, data.draw(days)), whole.selesai)
    together = masa_kerja([*teaching, whole], gaps, quals, as_of=as_of).total_months
    assert masa_kerja([*teaching, first, second], gaps, quals, as_of=as_of).total_months == together


@MODEST
@given(teaching_lists, gap_lists, qualification_lists, references, references)
def test_a_later_reference_date_never_decreases_the_total(teaching, gaps, quals, one, other):
    earlier, later = sorted((one, other))
    assert (masa_kerja(teaching, gaps, quals, as_of=earlier).total_months
            <= masa_kerja(teaching, gaps, quals, as_of=later).total_months)


# --- the CLI command --------------------------------------------------------------------------------------------

def candidate_json(**overrides) -> dict:
    """Example 2 in the pool format: teaching since Jan 1990 (open-ended), not teaching 2009-2010, D-III 1989."""
    data = {
        "nik": "3201011505800001", "nama": "Guru R", "email": "r@contoh.sch.id", "tanggal_lahir": "1965-05-15",
        "kode_kabkota": "3201", "status_kepegawaian": "GTY",
        "kualifikasi": [{"jenjang": "D-III", "tanggal_lulus": "1989-09-01"}],
        "riwayat_mengajar": [{"mulai": "1990-01-02", "jenis": "GTY"}],
        "tidak_mengajar": [{"mulai": "2009-01-01", "selesai": "2010-12-31"}],
    }
    data.update(overrides)
    return data


def write_json(tmp_path, data) -> str:
    path = tmp_path / "calon.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_cli_prints_one_json_line(tmp_path):
    result = CliRunner().invoke(masa_kerja_command, [write_json(tmp_path, candidate_json()), "--as-of", "2016-03-31"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert json.loads(result.output) == {"total_months": 291, "years": 24, "months": 3}


def test_cli_lowest_option(tmp_path):
    file = write_json(tmp_path, candidate_json())
    result = CliRunner().invoke(masa_kerja_command, [file, "--as-of", "2016-03-31", "--lowest", "S-1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"total_months": 0, "years": 0, "months": 0}
    result = CliRunner().invoke(masa_kerja_command, [file, "--lowest", "S1"])
    assert result.exit_code == 2


def test_cli_defaults_to_today_in_wib(tmp_path, frozen_clock):
    # 31 Mar 2016 17:30 UTC is already 1 Apr 2016 in WIB: the reference month is April, one month past example 2.
    frozen_clock(datetime(2016, 3, 31, 17, 30, tzinfo=UTC))
    result = CliRunner().invoke(masa_kerja_command, [write_json(tmp_path, candidate_json())])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"total_months": 292, "years": 24, "months": 4}


def test_cli_malformed_candidate_lists_every_reason(tmp_path):
    bad = candidate_json(nik="123", riwayat_mengajar=[{"mulai": "2010-05-01", "selesai": "2010-01-01"}])
    del bad["nama"]
    result = CliRunner().invoke(masa_kerja_command, [write_json(tmp_path, bad), "--as-of", "2016-03-31"])
    assert result.exit_code == 1
    assert "Data calon tidak valid" in result.output
    assert "nik: NIK harus 16 digit angka." in result.output
    assert "nama: wajib diisi" in result.output
    assert "riwayat_mengajar[0].selesai: sebelum mulai" in result.output


def test_cli_invalid_json_and_non_object(tmp_path):
    result = CliRunner().invoke(masa_kerja_command, [write_json(tmp_path, "{not json"), "--as-of", "2016-03-31"])
    assert result.exit_code == 1
    assert "JSON tidak valid" in result.output
    result = CliRunner().invoke(masa_kerja_command, [write_json(tmp_path, [candidate_json()])])
    assert result.exit_code == 1
    assert "baris harus berupa objek JSON" in result.output
    path = tmp_path / "biner.json"
    path.write_bytes(b"\xff\xfe{")
    result = CliRunner().invoke(masa_kerja_command, [str(path)])
    assert result.exit_code == 1
    assert "UTF-8" in result.output
