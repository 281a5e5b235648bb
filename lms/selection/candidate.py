"""Candidates of a selection pool: the JSON Lines format (one object per line), parsed and checked.

A line is parsed into an immutable ``Candidate``; a malformed line yields a ``LineError`` with its line
number and every reason. Reading is streamed: a pool of any size is read one line at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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


class _Fields:
    def __init__(self, data: dict):
        self.data, self.errors = data, []

    def text(self, key: str, *, required: bool = True, max_length: int = 200) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.errors.append(f"{key}: wajib diisi")
            return None
        if not isinstance(value, str) or len(value) > max_length:
            self.errors.append(f"{key}: harus teks (maksimal {max_length} karakter)")
            return None
        return value.strip()

    def day(self, key: str, *, required: bool = False, node: dict | None = None, path: str = "") -> date | None:
        value = (node if node is not None else self.data).get(key)
        if value is None:
            if required:
                self.errors.append(f"{path}{key}: wajib diisi (YYYY-MM-DD)")
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            self.errors.append(f"{path}{key}: tanggal harus YYYY-MM-DD")
            return None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.errors.append(f"{key}: harus true/false")
            return default
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is not None and value not in options:
            self.errors.append(f"{key}: salah satu dari {', '.join(options)}")
            return default
        return value

    def number(self, key: str, *, integer: bool = False) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            self.errors.append(f"{key}: harus angka")
            return None
        return value

    def periods(self, key: str, *, open_end: bool) -> tuple[Period, ...]:
        raw = self.data.get(key, [])
        if not isinstance(raw, list):
            self.errors.append(f"{key}: harus daftar")
            return ()
        periods = []
        for i, node in enumerate(raw):
            path = f"{key}[{i}]."
            if not isinstance(node, dict):
                self.errors.append(f"{key}[{i}]: harus objek")
                continue
            start = self.day("mulai", required=True, node=node, path=path)
            end = self.day("selesai", required=not open_end, node=node, path=path)
            if start and end and end < start:
                self.errors.append(f"{path}selesai: sebelum mulai")
                continue
            if start:
                periods.append(Period(start, end, str(node.get("jenis", ""))))
        return tuple(periods)

    def qualifications(self) -> tuple[Qualification, ...]:
        raw = self.data.get("kualifikasi", [])
        if not isinstance(raw, list):
            self.errors.append("kualifikasi: harus daftar")
            return ()
        found = []
        for i, node in enumerate(raw):
            path = f"kualifikasi[{i}]."
            if not isinstance(node, dict) or node.get("jenjang") not in JENJANG:
                self.errors.append(f"{path}jenjang: salah satu dari {', '.join(JENJANG)}")
                continue
            graduated = self.day("tanggal_lulus", required=True, node=node, path=path)
            accredited = node.get("prodi_terakreditasi", True)
            if not isinstance(accredited, bool):
                self.errors.append(f"{path}prodi_terakreditasi: harus true/false")
                continue
            if graduated:
                found.append(Qualification(node["jenjang"], graduated, accredited))
        return tuple(found)


def parse_candidate(data: Any) -> tuple[Candidate | None, list[str]]:
    """A candidate from one decoded JSON object, or None and every reason it is malformed."""
    if not isinstance(data, dict):
        return None, ["baris harus berupa objek JSON"]
    f = _Fields(data)
    nik = f.text("nik")
    if nik and (problem := nik_problem(nik)):
        f.errors.append(f"nik: {problem}")
    kode = f.text("kode_kabkota")
    if kode and not kabkota_exists(kode):
        f.errors.append(f"kode_kabkota: {kode} tidak dikenal")
    values = dict(
        nik=nik, nama=f.text("nama"), email=(f.text("email") or "").lower(), kode_kabkota=kode,
        tanggal_lahir=f.day("tanggal_lahir", required=True), npsn=f.text("npsn", required=False) or "",
        satuan_pendidikan=f.text("satuan_pendidikan", required=False) or "",
        nuptk=f.text("nuptk", required=False), tmt_pengangkatan=f.day("tmt_pengangkatan"),
        status_kepegawaian=f.choice("status_kepegawaian", STATUS_KEPEGAWAIAN, "HONORER"),
        yayasan=f.text("yayasan", required=False), akta_notaris_yayasan=f.flag("akta_notaris_yayasan"),
        sk_berturut_tahun=int(f.number("sk_berturut_tahun", integer=True) or 0),
        sk_pejabat_daerah=f.flag("sk_pejabat_daerah"), di_bawah_kemendikbud=f.flag("di_bawah_kemendikbud", True),
        sk_mengajar_2_tahun=f.flag("sk_mengajar_2_tahun", True), kualifikasi=f.qualifications(),
        riwayat_mengajar=f.periods("riwayat_mengajar", open_end=True),
        tidak_mengajar=f.periods("tidak_mengajar", open_end=False),
        ukg_skor=f.number("ukg_skor"), ukg_tahun=f.number("ukg_tahun", integer=True),
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


def read_pool(lines: Iterable[str]) -> Iterator[tuple[int, Candidate | None, list[str]]]:
    """(line number, candidate or None, reasons) for every non-blank line, streamed."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, [f"JSON tidak valid: {exc.msg} (kolom {exc.colno})"]
            continue
        candidate, reasons = parse_candidate(data)
        yield number, candidate, reasons
