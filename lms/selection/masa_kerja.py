"""Masa kerja (years of service) of a candidate, SPEC §5 / seed 003 §1g.

Masa kerja is the number of calendar months (year, month) that

* lie in at least one teaching period (``riwayat_mengajar``; PNS and non-PNS alike),
* are not before the month the first qualifying diploma was obtained,
* lie in no period of not teaching (``tidak_mengajar``), and
* are not after the reference month (``as_of``).

Periods count whole months, start and end month both included; an open-ended period (``selesai`` None) runs to the
reference month. A diploma qualifies when its jenjang is at or above ``lowest_qualifying`` (a policy parameter; the
2016 policies use D-III). Without a qualifying diploma masa kerja is 0.

The computation works on closed intervals of month indexes (``year * 12 + month - 1``): clip every period to the
counting window, sort and merge, then subtract the overlap of the merged teaching and merged not-teaching intervals.
It never materialises sets of months, so its cost depends on the number of periods only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import click

from lms.core import time as clock
from lms.core.regions import WIB, zone
from lms.selection.candidate import JENJANG, Candidate, Period, Qualification, parse_candidate

#: A closed interval of month indexes: (first, last), first <= last.
Interval = tuple[int, int]


@dataclass(frozen=True)
class MasaKerja:
    total_months: int

    @property
    def years(self) -> int:
        return self.total_months // 12

    @property
    def months(self) -> int:
        return self.total_months % 12

    def as_dict(self) -> dict[str, int]:
        return {"total_months": self.total_months, "years": self.years, "months": self.months}


def month_index(day: date) -> int:
    """The calendar month of ``day`` as one integer: consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


def _rank(jenjang: str) -> int:
    try:
        return JENJANG.index(jenjang)
    except ValueError:
        raise ValueError(f"jenjang tidak dikenal: {jenjang!r} (salah satu dari {', '.join(JENJANG)})") from None


def first_qualifying_month(kualifikasi: Iterable[Qualification], lowest_qualifying: str = "D-III") -> int | None:
    """The month index of the earliest diploma at or above ``lowest_qualifying``, or None when there is none."""
    lowest = _rank(lowest_qualifying)
    months = [month_index(q.tanggal_lulus) for q in kualifikasi if _rank(q.jenjang) >= lowest]
    return min(months) if months else None


def _clipped_merged(periods: Iterable[Period], low: int, high: int) -> list[Interval]:
    """The periods as month intervals clipped to [low, high] (open end: ``high``), sorted and merged.

    The result is sorted and pairwise disjoint, so its months can be counted by adding lengths.
    """
    intervals = []
    for period in periods:
        start = max(month_index(period.mulai), low)
        end = high if period.selesai is None else min(month_index(period.selesai), high)
        if start <= end:
            intervals.append((start, end))
    intervals.sort()
    merged: list[Interval] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1] + 1:  # overlapping or adjacent: one interval
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _length(intervals: list[Interval]) -> int:
    return sum(end - start + 1 for start, end in intervals)


def _overlap(a: list[Interval], b: list[Interval]) -> int:
    """Months in both ``a`` and ``b`` (each sorted and pairwise disjoint): a two-pointer sweep."""
    total = i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start <= end:
            total += end - start + 1
        # Advance whichever interval ends first; it cannot overlap anything further in the other list.
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def masa_kerja(
    riwayat_mengajar: Iterable[Period],
    tidak_mengajar: Iterable[Period],
    kualifikasi: Iterable[Qualification],
    *,
    as_of: date,
    lowest_qualifying: str = "D-III",
) -> MasaKerja:
    """Masa kerja at the reference date ``as_of`` (only its month matters), as defined in SPEC §5."""
    low = first_qualifying_month(kualifikasi, lowest_qualifying)
    if low is None:
        return MasaKerja(0)
    high = month_index(as_of)
    teaching = _clipped_merged(riwayat_mengajar, low, high)
    if not teaching:
        return MasaKerja(0)
    not_teaching = _clipped_merged(tidak_mengajar, low, high)
    return MasaKerja(_length(teaching) - _overlap(teaching, not_teaching))


def masa_kerja_of(candidate: Candidate, *, as_of: date, lowest_qualifying: str = "D-III") -> MasaKerja:
    return masa_kerja(candidate.riwayat_mengajar, candidate.tidak_mengajar, candidate.kualifikasi,
                      as_of=as_of, lowest_qualifying=lowest_qualifying)


def _today() -> date:
    """Today in WIB, from the project's clock (tests may freeze it)."""
    return clock.now_utc().astimezone(zone(WIB)).date()


@click.command("masa-kerja")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Tanggal acuan (YYYY-MM-DD); bawaan: hari ini.")
@click.option("--lowest", type=click.Choice(JENJANG), default="D-III", show_default=True,
              help="Jenjang ijazah terendah yang dihitung.")
def masa_kerja_command(file, as_of, lowest):
    """Hitung masa kerja satu calon peserta (FILE: satu objek JSON dalam format pool)."""
    try:
        data = json.load(file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"JSON tidak valid: {exc.msg} (baris {exc.lineno}, kolom {exc.colno})") from None
    except UnicodeDecodeError:
        raise click.ClickException("Berkas harus berupa teks UTF-8.") from None
    candidate, reasons = parse_candidate(data)
    if candidate is None:
        raise click.ClickException("Data calon tidak valid:\n" + "\n".join(f"- {reason}" for reason in reasons))
    reference = as_of.date() if as_of is not None else _today()
    result = masa_kerja_of(candidate, as_of=reference, lowest_qualifying=lowest)
    click.echo(json.dumps(result.as_dict()))
