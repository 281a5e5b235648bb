"""A data set that gives every role of the API something to act on, for the schemathesis run.

One open cohort on a curriculum and one closed one; teachers with progress (one finished and registered for an exam
session); exam sites with sessions; a Pusat Bantuan ticket; a roster import; a selection run with entries, a pending
removal proposal and a dinas user scoped to the kab/kota of a candidate. ``known`` lists existing values of the
path parameters, which the schemathesis hooks mix into the generated requests.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select, update

from bench.pool_datagen import write_pool
from lms.auth import services as auth_services
from lms.auth.models import User
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterImport
from lms.curriculum.models import Curriculum, Materi, Module
from lms.extensions import db
from lms.helpdesk import services as helpdesk
from lms.journal import services as journal
from lms.modules import services as modules
from lms.modules.curriculum_file import import_curriculum
from lms.posttest import services as posttest
from lms.posttest.models import Question
from lms.selection import removal
from lms.selection.models import RemovalProposal, SelectionEntry
from lms.selection.runs import RunInputs, run_selection
from lms.ukppg import services as ukppg
from lms.ukppg.models import ExamSession, ExamSite
from tests.helpdesk.helpers import PNG
from tests.learning import DURING, curriculum_data, import_roster

ALLOWED = ("belajar.id",)
TEACHER = "guru.satu@guru.sd.belajar.id"
SECOND_TEACHER = "guru.dua@guru.sd.belajar.id"
#: The accounts of the run, by the role name the test is parametrized with.
ACCOUNTS = {
    "teacher": (TEACHER, "guru"),
    "second_teacher": (SECOND_TEACHER, "guru"),
    "admin": ("admin.satu@belajar.id", "admin_angkatan"),
    "helpdesk": ("bantuan.satu@belajar.id", "helpdesk"),
    "superadmin": ("super.satu@belajar.id", "superadmin"),
    "dinas": ("dinas.satu@belajar.id", "dinas"),
    "lpmp": ("lpmp.satu@belajar.id", "lpmp"),
}
OPEN_COHORT = "UJI-1"
CLOSED_COHORT = "UJI-LAMA"
ROSTER_ROWS = [["3171010101900001", "Guru Roster", "guru.roster@guru.sd.belajar.id", "20100001",
                "SD Negeri 1 Jakarta", "3171"]]


@dataclass
class FuzzWorld:
    tokens: dict[str, str] = field(default_factory=dict)
    #: Path parameter name -> existing values (strings or ints) for the hooks.
    known: dict[str, list] = field(default_factory=dict)


def build_world(app, tmp_path: Path) -> FuzzWorld:
    world = FuzzWorld()
    with app.app_context():
        user_ids = {name: user.id for name, user in _accounts().items()}
        users = _reload(user_ids)
        curriculum = _curriculum()
        open_cohort = cohorts.create_cohort(code=OPEN_COHORT, name="Angkatan Uji", programme_year=2026,
                                            learning_start=date(2026, 11, 1), learning_end=date(2026, 11, 30),
                                            curriculum=curriculum, now=DURING)
        cohorts.create_cohort(code=CLOSED_COHORT, name="Angkatan Lama", programme_year=2025,
                              learning_start=date(2025, 7, 1), learning_end=date(2025, 8, 31),
                              curriculum=curriculum, now=DURING)
        first = cohorts.enroll(users["teacher"], open_cohort, now=DURING, kode_kabkota="7371")
        second = cohorts.enroll(users["second_teacher"], open_cohort, now=DURING, kode_kabkota="3171")
        db.session.commit()
        sessions = _sites()
        _progress(first, second, curriculum, sessions)
        ticket = _ticket(app, users["teacher"], tmp_path)
        db.session.commit()
    import_roster(app, _cohort_id(app, OPEN_COHORT), ROSTER_ROWS)
    with app.app_context():
        world.known = _known(app, tmp_path, users=_reload(user_ids))
        world.known["ticket_id"] = [ticket]
        world.known["session_id"] = sessions
        world.tokens = _tokens(_reload(user_ids))
        db.session.commit()
    return world


def _accounts() -> dict[str, User]:
    users = {}
    for role_name, (email, role) in ACCOUNTS.items():
        user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
        user.name = user.name or email.split("@")[0]
        auth_services.grant_role(user, role, now=DURING)
        users[role_name] = user
    db.session.flush()
    return users


def _reload(user_ids: dict[str, int]) -> dict[str, User]:
    return {name: db.session.get(User, user_id) for name, user_id in user_ids.items()}


def _curriculum() -> Curriculum:
    curriculum, _ = import_curriculum(curriculum_data(modules=2, materi=2, questions=2))
    return curriculum


def _sites() -> list[int]:
    ids = []
    for i, (name, kode) in enumerate((("TUK Makassar", "7371"), ("TUK Jakarta", "3171"))):
        site = ExamSite(name=name, kode_kabkota=kode, province=kode[:2], address=f"Alamat {name}")
        db.session.add(site)
        db.session.flush()
        for hour in (8, 13):
            session = ExamSession(site_id=site.id, date=date(2026, 12, 20 + i), start=time(hour), seats=5,
                                  seats_taken=0)
            db.session.add(session)
            db.session.flush()
            ids.append(session.id)
    db.session.commit()
    return ids


def _progress(first: Enrollment, second: Enrollment, curriculum: Curriculum, sessions: list[int]) -> None:
    """The first teacher half-way through module 1 (materi done, a post-test attempt, a journal draft); the second
    one complete and registered for an exam."""
    first, second = db.session.get(Enrollment, first.id), db.session.get(Enrollment, second.id)
    module = db.session.scalar(select(Module).where(Module.curriculum_id == curriculum.id).order_by(Module.position))
    for materi in db.session.scalars(select(Materi).where(Materi.module_id == module.id)):
        modules.complete_materi(first, materi, now=DURING)
    questions = db.session.scalars(select(Question).where(Question.module_id == module.id))
    posttest.submit_attempt(first, module, {str(q.id): q.options[0].id for q in questions}, now=DURING)
    prompts = journal.get_journal(first, module, now=DURING).prompts
    journal.save_journal(first, module, {str(p.id): "Draf refleksi yang belum selesai" for p in prompts}, submit=False,
                         now=DURING)
    db.session.execute(update(Enrollment).where(Enrollment.id == second.id).values(completed_at=DURING))
    db.session.commit()
    ukppg.register(db.session.get(Enrollment, second.id), sessions[0], now=DURING)
    db.session.commit()


def _ticket(app, teacher: User, tmp_path: Path) -> int:
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    form = {"category": "akun_tidak_dikenal", "full_name": "Guru Satu", "nik": ROSTER_ROWS[0][0],
            "belajar_id_account": TEACHER, "satuan_pendidikan": "SD Negeri 1 Jakarta",
            "description": "Akun yang muncul setelah masuk bukan akun saya."}
    clean, shot = helpdesk.check_submission(form, io.BytesIO(PNG), ALLOWED)
    ticket = helpdesk.open_ticket(db.session.get(User, teacher.id), clean, shot, folder=app.config["UPLOAD_FOLDER"],
                                  now=DURING)
    db.session.flush()
    return ticket.id


def _cohort_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Cohort.id).where(Cohort.code == code))


def _known(app, tmp_path: Path, *, users: dict[str, User]) -> dict[str, list]:
    """Run a selection, propose one removal, and collect the existing values of every path parameter."""
    run = run_selection(RunInputs(policy="pgt2024", pool=write_pool(tmp_path / "pool.jsonl", 400), total=150),
                        now=DURING)
    assert run.status == "done", run.errors
    entries = list(db.session.scalars(select(SelectionEntry).where(SelectionEntry.run_id == run.id,
                                                                   SelectionEntry.status == "ditetapkan")
                                      .order_by(SelectionEntry.rank)))
    by_kabkota: dict[str, list[SelectionEntry]] = {}
    for entry in entries:
        by_kabkota.setdefault(entry.kode_kabkota, []).append(entry)
    own = max(by_kabkota.values(), key=len)  # the dinas user's kab/kota: the one with the most candidates
    kode = own[0].kode_kabkota
    removal.assign_region(users["dinas"], kode)
    proposal = removal.propose(own[0], "pensiun", "SK pensiun", dinas=users["dinas"], now=DURING)
    db.session.commit()
    curriculum_modules = list(db.session.scalars(select(Module.id).order_by(Module.id)))
    return {
        "code": [OPEN_COHORT, CLOSED_COHORT],
        "module_id": curriculum_modules,
        "materi_id": list(db.session.scalars(select(Materi.id).order_by(Materi.id))),
        "run_id": [run.id],
        "entry_id": [e.id for e in own[:3]] + [entries[-1].id],
        "proposal_id": list(db.session.scalars(select(RemovalProposal.id))) or [proposal.id],
        "import_id": list(db.session.scalars(select(RosterImport.id))),
        "email": [email for email, _ in ACCOUNTS.values()],
        "role": sorted({role for _, role in ACCOUNTS.values()}),
        "kode_kabkota": [kode],
        "curriculum": ["KUR-TEST"],
        "bodies": _bodies(),
    }


def _bodies() -> dict[str, list]:
    """Whole request bodies that succeed on the data set (schemathesis sends them now and then)."""
    module = db.session.scalar(select(Module).order_by(Module.position, Module.id).limit(1))
    answers = {str(q.id): q.options[-1].id for q in db.session.scalars(select(Question)
                                                                           .where(Question.module_id == module.id))}
    roster_csv = "nik,nama,email,npsn,satuan_pendidikan,kode_kabkota\r\n" \
                 "3171010101900002,Guru Baru,guru.baru@guru.sd.belajar.id,20100002,SD Negeri 2 Jakarta,3171\r\n"
    return {
        "POST /cohorts": [{"code": "BARU-1", "name": "Angkatan Baru", "programme_year": 2027,
                           "learning_start": "2027-01-04", "learning_end": "2027-02-26", "curriculum": "KUR-TEST"}],
        "POST /cohorts/{code}/extensions": [{"email": TEACHER, "until": "2026-12-15", "reason": "Sakit"},
                                            {"email": SECOND_TEACHER, "until": "2026-12-10", "reason": "Dinas luar"}],
        "POST /cohorts/{code}/roster": [roster_csv],
        "POST /posttests/{module_id}/attempts": [{"answers": answers}],
        "POST /selection/runs/{run_id}/publication": [{"cohort": OPEN_COHORT, "allow_placeholder": True}],
    }


def _tokens(users: dict[str, User]) -> dict[str, str]:
    tokens = {}
    for name, user in users.items():
        _row, token = auth_services.create_token(user, days=3650, now=datetime(2026, 1, 1, tzinfo=UTC))
        tokens[name] = token
    return tokens
