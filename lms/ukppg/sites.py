"""Exam sites and sessions from CSV (`lms ukppg import-sites`, the admin page, the API): whole file or nothing.

Columns: site, kode_kabkota, address, date (ISO), start (HH:MM), seats. A site is created on its first row and
matched by name after that; a session is matched by (site, date, start), and its seats updated.

No file is a server error: bytes that are not UTF-8, NUL bytes, lone carriage returns, over-long fields, digits
that are not ASCII, numbers beyond the column and impossible dates are all refused with the line they are on.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.errors import Invalid
from lms.core.regions import kabkota_exists
from lms.extensions import db
from lms.ukppg.models import ExamSession, ExamSite

COLUMNS = ("site", "kode_kabkota", "address", "date", "start", "seats")
#: The example row of the downloadable template.
EXAMPLE = {"site": "TUK Contoh Makassar", "kode_kabkota": "7371", "address": "Jl. Contoh No. 1, Makassar",
           "date": "2027-01-15", "start": "08:00", "seats": 40}
#: More seats than any exam room has: a typo, refused before it reaches the integer column.
MAX_SEATS = 100_000
MAX_NAME, MAX_ADDRESS = 200, 500
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_START = re.compile(r"\d{2}:\d{2}\Z", re.ASCII)
_SEATS = re.compile(r"\d{1,7}\Z", re.ASCII)


def decode_sites(data: bytes) -> str:
    """The file's text (UTF-8, with or without a BOM), or ``Invalid``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_l("Berkas harus teks UTF-8."), details={"berkas": str(_l("Berkas harus teks UTF-8."))}) \
            from None
    if "\x00" in text:
        raise Invalid(_l("Berkas berisi karakter NUL; simpan ulang sebagai CSV UTF-8."),
                      details={"berkas": str(_l("Berkas berisi karakter NUL; simpan ulang sebagai CSV UTF-8."))})
    return text


def parse_sites(text: str) -> list[dict]:
    # newline="": the csv module itself reads \r\n, \n and a lone \r as line ends (also inside quotes).
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(reader)
    except csv.Error as exc:  # a field over the csv module's limit, an unterminated quote, ...
        line = f"baris {max(reader.line_num, 1)}"
        raise Invalid(_l("Berkas TUK tidak valid; tidak ada yang diimpor."),
                      details={line: str(_l("Baris tidak dapat dibaca sebagai CSV (kolom terlalu panjang atau tanda "
                                            "kutip tidak ditutup)."))}) from exc


def _parse(reader) -> list[dict]:
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise Invalid(_l("Berkas kosong.")) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise Invalid(_l("Kolom wajib tidak ada: %(missing)s.", missing=", ".join(missing)))
    index = {c: header.index(c) for c in COLUMNS}
    rows, errors = [], {}
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        line = reader.line_num
        if len(fields) < len(header):
            errors[f"baris {line}"] = str(_l("Jumlah kolom kurang."))
            continue
        value = {c: fields[i].strip() for c, i in index.items()}
        problems, row = _check_row(value)
        if problems:
            errors[f"baris {line}"] = "; ".join(problems)
        else:
            rows.append({**row, "line": line})
    if errors:
        raise Invalid(_l("Berkas TUK tidak valid; tidak ada yang diimpor."), details=errors)
    if not rows:
        raise Invalid(_l("Berkas tidak berisi sesi ujian."))
    return rows


def _check_row(value: dict) -> tuple[list[str], dict]:
    problems = []
    if not value["site"]:
        problems.append(str(_l("Nama TUK wajib diisi.")))
    elif len(value["site"]) > MAX_NAME:
        problems.append(str(_l("Nama TUK maksimal %(n)s karakter.", n=MAX_NAME)))
    if len(value["address"]) > MAX_ADDRESS:
        problems.append(str(_l("Alamat maksimal %(n)s karakter.", n=MAX_ADDRESS)))
    if not kabkota_exists(value["kode_kabkota"]):
        problems.append(str(_l("Kode kab/kota %(code)s tidak dikenal.", code=value["kode_kabkota"][:8] or "-")))
    day = _parsed(date, _DATE, value["date"])
    if day is None:
        problems.append(str(_l("Tanggal harus YYYY-MM-DD.")))
    start = _parsed(time, _START, value["start"])
    if start is None:
        problems.append(str(_l("Jam mulai harus HH:MM.")))
    # ASCII digits only: "²" or "٣" pass str.isdigit() but are no seat count.
    seats = int(value["seats"]) if _SEATS.match(value["seats"]) else 0
    if not 1 <= seats <= MAX_SEATS:
        problems.append(str(_l("Jumlah kursi harus bilangan bulat 1 sampai %(max)s.", max=MAX_SEATS)))
    return problems, {**value, "date": day, "start": start, "seats": seats}


def _parsed(kind, pattern: re.Pattern, text: str):
    if not pattern.match(text):
        return None
    try:
        return kind.fromisoformat(text)
    except ValueError:
        return None


def import_sites(rows: list[dict]) -> dict[str, int]:
    sites = {s.name: s for s in db.session.scalars(select(ExamSite))}
    stats = {"sites_created": 0, "sessions_created": 0, "sessions_updated": 0}
    errors = {}
    for row in rows:
        site = sites.get(row["site"])
        if site is None:
            site = ExamSite(name=row["site"], kode_kabkota=row["kode_kabkota"], province=row["kode_kabkota"][:2],
                            address=row["address"])
            db.session.add(site)
            db.session.flush()
            sites[site.name] = site
            stats["sites_created"] += 1
        session = db.session.scalar(select(ExamSession).where(ExamSession.site_id == site.id,
                                                              ExamSession.date == row["date"],
                                                              ExamSession.start == row["start"]))
        if session is None:
            db.session.add(ExamSession(site_id=site.id, date=row["date"], start=row["start"], seats=row["seats"],
                                       seats_taken=0))
            stats["sessions_created"] += 1
        elif session.seats != row["seats"]:
            if row["seats"] < session.seats_taken:
                errors[f"baris {row['line']}"] = str(_l(
                    "Kursi tidak boleh kurang dari yang sudah terisi (%(n)s).", n=session.seats_taken))
                continue
            session.seats = row["seats"]
            stats["sessions_updated"] += 1
    if errors:
        raise Invalid(_l("Berkas TUK tidak valid; tidak ada yang diimpor."), details=errors)
    db.session.flush()
    return stats
