"""Candidates of a selection pool: the JSON Lines format (one object per line), parsed and checked.

A line is parsed into an immutable ``Candidate``; a malformed line yields its line number and every reason.
Reading is streamed: a pool of any size is read one line at a time. No line can break the reader: bytes that are
not UTF-8, JSON that is not an object, ``NaN``/``Infinity``, numbers out of range, NUL characters, text longer
than the column that stores it and nesting of any depth are each reported as a reason of that line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from lms.core.input import InvalidInput, check_json_value
from lms.core.nik import nik_problem
from lms.core.regions import kabkota_exists

JENJANG = ("SMA", "D-I", "D-II", "D-III", "D-IV", "S-1", "S-2", "S-3")
STATUS_KEPEGAWAIAN = ("PNS", "GT", "GTY", "GTT", "PPPK", "HONORER")
SERTIFIKAT_PENGECUALIAN = ("mutasi_peraturan_bersama", "penyesuaian_kurikulum")


@dataclass(frozen=True)
class Qualification:
    jenjang: str
    tanggal_lulus: date
    prodi_terakreditasi: bool = True


@dataclass(frozen=True)
class Period:
    """A period of whole months: from the month of ``mulai`` to the month of ``selesai`` (None: still ongoing)."""

    mulai: date
    selesai: date | None = None
    jenis: str = ""


@dataclass(frozen=True)
class Candidate:
    nik: str
    nama: str
    email: str
    tanggal_lahir: date
    kode_kabkota: str
    npsn: str = ""
    #: The school's name (needed when the determined list is published as a cohort roster).
    satuan_pendidikan: str = ""
    nuptk: str | None = None
    #: PNS, GT (guru tetap non-PNS), GTY (guru tetap yayasan), GTT, PPPK, HONORER.
    status_kepegawaian: str = "HONORER"
    #: TMT of the appointment SK as a teacher (decides the 2016 policy).
    tmt_pengangkatan: date | None = None
    yayasan: str | None = None
    #: The yayasan's notarial deed of establishment (registered at the ministry of law) is attached.
    akta_notaris_yayasan: bool = False
    #: Consecutive years of appointment SK from the same yayasan / regional head (GT, GTY).
    sk_berturut_tahun: int = 0
    #: Appointment SK from the regional head (Bupati/Walikota/Gubernur), for GT at public schools.
    sk_pejabat_daerah: bool = False
    di_bawah_kemendikbud: bool = True
    #: The principal's SK of teaching duties for the last two years.
    sk_mengajar_2_tahun: bool = True
    kualifikasi: tuple[Qualification, ...] = ()
    riwayat_mengajar: tuple[Period, ...] = ()
    tidak_mengajar: tuple[Period, ...] = ()
    ukg_skor: float | None = None
    ukg_tahun: int | None = None
    bersertifikat: bool = False
    #: The exception under which a certified teacher may still take part (seed 003 §1f).
    sertifikat_pengecualian: str | None = None
    resertifikasi_kurikulum: bool = False
    pengawas: bool = False
    tmt_pengawas: date | None = None
    daerah_3t: bool = False
    #: e.g. "III/a"; for PNS, or non-PNS with an inpassing SK.
    pangkat_golongan: str | None = None
    dapodik_sejak: date | None = None
    surat_sehat: bool = False
    diskualifikasi_pemalsuan: bool = False
    tidak_lulus_tahun_lalu: bool = False
    memenuhi_administrasi_2023: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class LineError:
    line: int
    reasons: list[str]


#: Bounds of the numbers a candidate carries (UKG scores are out of 100).
UKG_SKOR_RANGE = (0, 100)
UKG_TAHUN_RANGE = (1900, 2100)
SK_TAHUN_RANGE = (0, 100)


class _Fields:
    def __init__(self, data: dict):
        self.data, self.errors = data, []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def text(self, key: str, *, required: bool = True, max_length: int = 200, node: dict | None = None,
             path: str = "") -> str | None:
        value = (node if node is not None else self.data).get(key)
        if value is None or value == "":
            if required:
                self.fail(path + key, _("wajib diisi"))
            return None
        if not isinstance(value, str) or len(value) > max_length:
            self.fail(path + key, _("harus teks (maksimal %(max)s karakter)", max=max_length))
            return None
        return value.strip()

    def day(self, key: str, *, required: bool = False, node: dict | None = None, path: str = "") -> date | None:
        value = (node if node is not None else self.data).get(key)
        if value is None:
            if required:
                self.fail(path + key, _("wajib diisi (YYYY-MM-DD)"))
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(path + key, _("tanggal harus YYYY-MM-DD"))
            return None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, _("harus true/false"))
            return default
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is not None and (not isinstance(value, str) or value not in options):
            self.fail(key, _("salah satu dari %(choices)s", choices=", ".join(options)))
            return default
        return value

    def number(self, key: str, bounds: tuple[int, int], *, integer: bool = False) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        low, high = bounds
        if (isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int))
                or (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high):
            self.fail(key, _("harus angka dari %(low)s sampai %(high)s", low=low, high=high) if not integer
                      else _("harus bilangan bulat dari %(low)s sampai %(high)s", low=low, high=high))
            return None
        return value

    def periods(self, key: str, *, open_end: bool) -> tuple[Period, ...]:
        raw = self.data.get(key, [])
        if not isinstance(raw, list):
            self.fail(key, _("harus daftar"))
            return ()
        periods = []
        for i, node in enumerate(raw):
            path = f"{key}[{i}]."
            if not isinstance(node, dict):
                self.fail(f"{key}[{i}]", _("harus objek"))
                continue
            start = self.day("mulai", required=True, node=node, path=path)
            end = self.day("selesai", required=not open_end, node=node, path=path)
            before = len(self.errors)
            kind = self.text("jenis", required=False, max_length=50, node=node, path=path) or ""
            if start and end and end < start:
                self.fail(path + "selesai", _("sebelum mulai"))
                continue
            if start and len(self.errors) == before:
                periods.append(Period(start, end, kind))
        return tuple(periods)

    def qualifications(self) -> tuple[Qualification, ...]:
        raw = self.data.get("kualifikasi", [])
        if not isinstance(raw, list):
            self.fail("kualifikasi", _("harus daftar"))
            return ()
        found = []
        for i, node in enumerate(raw):
            path = f"kualifikasi[{i}]."
            jenjang = node.get("jenjang") if isinstance(node, dict) else None
            if not isinstance(jenjang, str) or jenjang not in JENJANG:
                self.fail(path + "jenjang", _("salah satu dari %(choices)s", choices=", ".join(JENJANG)))
                continue
            graduated = self.day("tanggal_lulus", required=True, node=node, path=path)
            accredited = node.get("prodi_terakreditasi", True)
            if not isinstance(accredited, bool):
                self.fail(path + "prodi_terakreditasi", _("harus true/false"))
                continue
            if graduated:
                found.append(Qualification(jenjang, graduated, accredited))
        return tuple(found)


def parse_candidate(data: Any) -> tuple[Candidate | None, list[str]]:
    """A candidate from one decoded JSON object, or None and every reason it is malformed."""
    if not isinstance(data, dict):
        return None, [_("baris harus berupa objek JSON")]
    f = _Fields(data)
    nik = f.text("nik")
    if nik and (problem := nik_problem(nik)):
        f.fail("nik", problem)
    kode = f.text("kode_kabkota")
    if kode and not kabkota_exists(kode):
        f.fail("kode_kabkota", _("%(code)s tidak dikenal", code=kode))
    # Text bounds are those of the columns that store them (``selection_entries``).
    values = dict(
        nik=nik, nama=f.text("nama"), email=(f.text("email", max_length=254) or "").lower(), kode_kabkota=kode,
        tanggal_lahir=f.day("tanggal_lahir", required=True), npsn=f.text("npsn", required=False, max_length=8) or "",
        satuan_pendidikan=f.text("satuan_pendidikan", required=False) or "",
        nuptk=f.text("nuptk", required=False, max_length=32), tmt_pengangkatan=f.day("tmt_pengangkatan"),
        status_kepegawaian=f.choice("status_kepegawaian", STATUS_KEPEGAWAIAN, "HONORER"),
        yayasan=f.text("yayasan", required=False), akta_notaris_yayasan=f.flag("akta_notaris_yayasan"),
        sk_berturut_tahun=int(f.number("sk_berturut_tahun", SK_TAHUN_RANGE, integer=True) or 0),
        sk_pejabat_daerah=f.flag("sk_pejabat_daerah"), di_bawah_kemendikbud=f.flag("di_bawah_kemendikbud", True),
        sk_mengajar_2_tahun=f.flag("sk_mengajar_2_tahun", True), kualifikasi=f.qualifications(),
        riwayat_mengajar=f.periods("riwayat_mengajar", open_end=True),
        tidak_mengajar=f.periods("tidak_mengajar", open_end=False),
        ukg_skor=f.number("ukg_skor", UKG_SKOR_RANGE), ukg_tahun=f.number("ukg_tahun", UKG_TAHUN_RANGE, integer=True),
        bersertifikat=f.flag("bersertifikat"),
        sertifikat_pengecualian=f.choice("sertifikat_pengecualian", SERTIFIKAT_PENGECUALIAN),
        resertifikasi_kurikulum=f.flag("resertifikasi_kurikulum"), pengawas=f.flag("pengawas"),
        tmt_pengawas=f.day("tmt_pengawas"), daerah_3t=f.flag("daerah_3t"),
        pangkat_golongan=f.text("pangkat_golongan", required=False, max_length=10),
        dapodik_sejak=f.day("dapodik_sejak"), surat_sehat=f.flag("surat_sehat"),
        diskualifikasi_pemalsuan=f.flag("diskualifikasi_pemalsuan"),
        tidak_lulus_tahun_lalu=f.flag("tidak_lulus_tahun_lalu"),
        memenuhi_administrasi_2023=f.flag("memenuhi_administrasi_2023"),
    )
    if f.errors:
        return None, f.errors
    return Candidate(**values), []


class _Unreadable(ValueError):
    """A line that is not a clean JSON value; the message is the reason reported for it."""


def _no_constant(name: str):
    raise _Unreadable(_("Angka tidak terhingga atau NaN tidak diterima."))


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Unreadable(_("Angka terlalu besar."))
    return value


def decode_line(line: str | bytes) -> Any:
    """One line as a JSON value; raises ``_Unreadable`` with the reason when it cannot be one."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(_("baris bukan teks UTF-8 yang valid (bita ke-%(pos)s)", pos=exc.start + 1)) from exc
    try:
        data = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise _Unreadable(_("JSON tidak valid: %(detail)s (kolom %(col)s)", detail=exc.msg, col=exc.colno)) from exc
    except RecursionError as exc:
        raise _Unreadable(_("Struktur JSON terlalu dalam.")) from exc
    except _Unreadable:
        raise
    except ValueError as exc:  # an integer of more than 4300 digits
        raise _Unreadable(_("Angka terlalu besar.")) from exc
    try:
        check_json_value(data)  # depth, NUL characters, lone surrogates: what the database cannot store
    except InvalidInput as exc:
        raise _Unreadable(str(exc.details.get("body") or exc.message)) from exc
    return data


def read_pool(lines: Iterable[str | bytes]) -> Iterator[tuple[int, Candidate | None, list[str]]]:
    """(line number, candidate or None, reasons) for every non-blank line, streamed. Lines may be text or bytes
    (bytes are decoded line by line, so that a line that is not UTF-8 is reported, not fatal)."""
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf" if isinstance(line, bytes) else "\ufeff")
        if not line.strip():
            continue
        try:
            data = decode_line(line)
        except _Unreadable as exc:
            yield number, None, [str(exc)]
            continue
        candidate, reasons = parse_candidate(data)
        yield number, candidate, reasons


def read_pool_file(path: Path) -> Iterator[tuple[int, Candidate | None, list[str]]]:
    """``read_pool`` over a file, read as bytes."""
    with open(path, "rb") as f:
        yield from read_pool(f)
