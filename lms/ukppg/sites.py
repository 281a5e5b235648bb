"""Exam sites and sessions from CSV (`lms ukppg import-sites`): whole file or nothing.

Columns: site, kode_kabkota, address, date (ISO), start (HH:MM), seats. A site is created on its first row and
matched by name after that; a session is matched by (site, date, start), and its seats updated.
"""

from __future__ import annotations

import csv
import io
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.errors import Invalid
from lms.core.regions import kabkota_exists
from lms.extensions import db
from lms.ukppg.models import ExamSession, ExamSite

COLUMNS = ("site", "kode_kabkota", "address", "date", "start", "seats")


def parse_sites(text: str) -> list[dict]:
    reader = csv.reader(io.StringIO(text))
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
        problems = []
        if not value["site"]:
            problems.append(str(_l("Nama TUK wajib diisi.")))
        if not kabkota_exists(value["kode_kabkota"]):
            problems.append(str(_l("Kode kab/kota %(code)s tidak dikenal.", code=value["kode_kabkota"] or "-")))
        try:
            day = date.fromisoformat(value["date"])
        except ValueError:
            problems.append(str(_l("Tanggal harus YYYY-MM-DD.")))
            day = None
        try:
            start = time.fromisoformat(value["start"])
        except ValueError:
            problems.append(str(_l("Jam mulai harus HH:MM.")))
            start = None
        seats = int(value["seats"]) if value["seats"].isdigit() else 0
        if seats < 1:
            problems.append(str(_l("Jumlah kursi harus bilangan bulat positif.")))
        if problems:
            errors[f"baris {line}"] = "; ".join(problems)
        else:
            rows.append({**value, "date": day, "start": start, "seats": seats, "line": line})
    if errors:
        raise Invalid(_l("Berkas TUK tidak valid; tidak ada yang diimpor."), details=errors)
    if not rows:
        raise Invalid(_l("Berkas tidak berisi sesi ujian."))
    return rows


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
