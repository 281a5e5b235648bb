"""Pusat Bantuan test helpers: accounts, the ticket form and its screenshot, rosters, audit and file look-ups."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from PIL import Image
from sqlalchemy import func, select

from bench.datagen import rows
from lms.auth.models import User
from lms.core.audit import AuditEvent
from lms.extensions import db
from lms.helpdesk.models import Ticket

TEACHER_A = "guru.satu@guru.sd.belajar.id"
TEACHER_B = "guru.dua@guru.sd.belajar.id"
AGENT = "bantuan.satu@belajar.id"
NEW_ACCOUNT = "guru.baru@guru.sd.belajar.id"
ROSTER = [list(r) for r in rows(2)]
NIK = ROSTER[0][0]


def image_bytes(fmt: str = "PNG", size=(40, 30), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 0 if mode == "1" else (200, 40, 40)).save(buf, format=fmt)
    return buf.getvalue()


PNG = image_bytes("PNG")


def form(**changes) -> dict:
    data = {"category": "akun_tidak_dikenal", "full_name": "Dewi Santoso", "nik": NIK,
            "belajar_id_account": TEACHER_A, "satuan_pendidikan": "SD Negeri 1 Kab. Aceh Selatan",
            "description": "Akun yang muncul setelah masuk bukan akun saya."}
    data.update(changes)
    return data


def upload(data: bytes = PNG, name: str = "undangan.png") -> dict:
    return {"screenshot": (io.BytesIO(data), name)}


def grant(app, email: str, role: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", "grant", email, role])
    assert result.exit_code == 0, result.output


def html(response) -> str:
    return response.get_data(as_text=True)



def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def ticket_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id)))


def audits(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [SimpleNamespace(actor_id=e.actor_id, subject_type=e.subject_type, subject_id=e.subject_id,
                                data=dict(e.data)) for e in events]


def uid(app, email: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))

