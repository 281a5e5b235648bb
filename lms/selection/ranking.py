"""Priority keys and quotas.

Each priority key maps a candidate to a fixed-width string, so that ascending order of the joined key is the
policy's priority order. Ties after every key are broken by the candidate's line in the pool file: the same
file always gives the same order, and anyone can see why one candidate precedes another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from fractions import Fraction

from lms.selection.candidate import Candidate
from lms.selection.masa_kerja import masa_kerja_of
from lms.selection.policy import Policy

GOLONGAN = [f"{roman}/{letter}" for roman in ("I", "II", "III") for letter in "abcd"] + [f"IV/{x}" for x in "abcde"]


def _flag(value: bool) -> str:
    return "0" if value else "1"


def _ukg(candidate: Candidate, policy: Policy) -> str:
    if candidate.ukg_skor is None:
        return "9999"
    return f"{max(0, 9999 - round(candidate.ukg_skor * 10)):04d}"  # higher score first


def _masa_kerja(candidate: Candidate, policy: Policy) -> str:
    months = masa_kerja_of(candidate, as_of=policy.reference_date,
                           lowest_qualifying=policy.lowest_qualifying).total_months
    return f"{max(0, 99999 - months):05d}"  # longer service first


def _golongan(candidate: Candidate, policy: Policy) -> str:
    try:
        position = GOLONGAN.index((candidate.pangkat_golongan or "").strip())
    except ValueError:
        return "99"
    return f"{99 - position:02d}"  # higher rank first


def _day(value: date | None) -> str:
    return value.isoformat() if value else "9999-12-31"


#: key -> encoder; ascending encoded value = higher priority.
PRIORITY_KEYS: dict[str, Callable[[Candidate, Policy], str]] = {
    "tidak_lulus_tahun_lalu": lambda c, p: _flag(c.tidak_lulus_tahun_lalu),
    "ukg_2015": _ukg,
    "resertifikasi_kurikulum": lambda c, p: _flag(c.resertifikasi_kurikulum),
    "pengawas": lambda c, p: _flag(c.pengawas),
    "daerah_3t": lambda c, p: _flag(c.daerah_3t),
    "usia": lambda c, p: _day(c.tanggal_lahir),  # older (earlier birth date) first
    "masa_kerja": _masa_kerja,
    "pangkat_golongan": _golongan,
    "dapodik": lambda c, p: _day(c.dapodik_sejak),  # longer Dapodik history (earlier) first
}


def sort_key(candidate: Candidate, policy: Policy, keys: tuple[str, ...] | None = None) -> str:
    return "|".join(PRIORITY_KEYS[k](candidate, policy) for k in (keys or policy.priority))


def allocate_national(total: int, eligible: Mapping[str, int]) -> dict[str, int]:
    """Share ``total`` seats among provinces by the largest-remainder method, proportional to their eligible
    candidates, at least one each, never more than a province's eligible count.

    With fewer seats than provinces, the provinces with the most eligible candidates get one each (ties: lower
    province code first). Remainder ties also go to the lower province code.
    """
    groups = {g: n for g, n in eligible.items() if n > 0}
    quotas = dict.fromkeys(eligible, 0)
    if total <= 0 or not groups:
        return quotas
    order = sorted(groups, key=lambda g: (-groups[g], g))
    if total < len(groups):
        for g in order[:total]:
            quotas[g] = 1
        return quotas
    for g in groups:
        quotas[g] = 1
    remaining = min(total, sum(groups.values())) - len(groups)
    while remaining > 0:
        open_groups = {g: groups[g] for g in groups if quotas[g] < groups[g]}
        weight = sum(open_groups.values())
        shares = {g: Fraction(remaining * n, weight) for g, n in open_groups.items()}
        given = 0
        for g, share in shares.items():
            extra = min(int(share), groups[g] - quotas[g])
            quotas[g] += extra
            given += extra
        leftover = remaining - given
        by_remainder = sorted(open_groups, key=lambda g: (-(shares[g] - int(shares[g])), g))
        for g in by_remainder:
            if leftover == 0:
                break
            if quotas[g] < groups[g]:
                quotas[g] += 1
                leftover -= 1
        remaining = leftover
    return quotas
