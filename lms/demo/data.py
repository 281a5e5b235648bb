"""Demo data: the 2024 cohorts of the seed, one cohort open today, the demo curriculum and accounts."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core.nik import encrypt_nik, nik_encryptor, nik_hash
from lms.curriculum.models import Curriculum, Materi, Module
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.curriculum_file import import_curriculum, parse_curriculum
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt
from lms.progress import summary
from lms.progress.rebuild import rebuild
from lms.selection import removal
from lms.ukppg.sites import import_sites

DEMO_ROLES = {
    "guru.demo@guru.sd.belajar.id": ("guru",),
    "admin.demo@belajar.id": ("admin_angkatan",),
    "bantuan.demo@belajar.id": ("helpdesk",),
    "super.demo@belajar.id": ("superadmin",),
    "dinas.demo@belajar.id": ("dinas",),
    "lpmp.demo@belajar.id": ("lpmp",),
}
#: The kab/kota the demo dinas account acts for (removal proposals); Makassar, as the demo teacher's.
DEMO_DINAS = "dinas.demo@belajar.id"
DEMO_LPMP = "lpmp.demo@belajar.id"
#: (code, name, programme year, first day, last day) — the 2024 schedule of seed 000.
COHORTS_2024 = (
    ("PGT2024-T1", "Piloting PPG bagi Guru Tertentu tahap 1", 2024, date(2024, 7, 24), date(2024, 9, 4)),
    ("PGT2024-T2", "Piloting PPG bagi Guru Tertentu tahap 2", 2024, date(2024, 8, 29), date(2024, 10, 8)),
    ("PGT2024-DJ", "PPG bagi Guru Tertentu (Dalam Jabatan)", 2024, date(2024, 9, 23), date(2024, 11, 4)),
)
DEMO_TEACHER = "guru.demo@guru.sd.belajar.id"
#: The demo teacher's (fictitious) NIK: Kota Makassar, born 15 May 1990; for trying Cek NIK.
DEMO_TEACHER_NIK = "7371015505900001"
#: Makassar (WITA), so that the dashboard shows the deadline in WIB and in the teacher's own zone.
DEMO_TEACHER_KABKOTA = "7371"
SYNTHETIC_KABKOTA = ("3171", "3273", "3578", "5171", "6471", "7371", "8171", "9171", "1171", "5371")
#: Synthetic participants per school, on average: a cohort of 300,000 spans about 30,000 schools, as a real one
#: spans tens of thousands, so that the report by school has as many rows to group and name.
TEACHERS_PER_SCHOOL = 10


def demo_curriculum_source() -> str:
    return resources.files("lms.modules").joinpath("data/demo_curriculum.yaml").read_text(encoding="utf-8")


def load_demo(now: datetime, *, allowed_domains) -> Cohort:
    curriculum, _ = import_curriculum(parse_curriculum(demo_curriculum_source()))
    for code, name, year, first, last in COHORTS_2024:
        _upsert_cohort(code, name, year, first, last, curriculum)
    today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
    demo = _upsert_cohort("DEMO", "Angkatan Demo", today.year, today - timedelta(days=14), today + timedelta(days=30),
                          curriculum)
    for email, roles in DEMO_ROLES.items():
        user = auth_services.get_or_create_account(email, now=now, allowed_domains=allowed_domains)
        for role in roles:
            auth_services.grant_role(user, role, now=now)
    removal.assign_region(auth_services.find_user(DEMO_DINAS), DEMO_TEACHER_KABKOTA)
    # The demo LPMP reads the progress of the demo dinas's province (Sulawesi Selatan).
    removal.assign_region(auth_services.find_user(DEMO_LPMP), DEMO_TEACHER_KABKOTA[:2])
    _demo_sites(today)
    teacher = auth_services.find_user(DEMO_TEACHER)
    if teacher.name == "":
        teacher.name = "Guru Demo"
    cohorts.enroll(teacher, demo, now=now, kode_kabkota=DEMO_TEACHER_KABKOTA, npsn=DEMO_TEACHER_NPSN)
    _demo_roster_entry(demo, teacher, now)
    return demo


DEMO_TEACHER_NPSN = "40311234"


def _demo_roster_entry(cohort: Cohort, teacher: User, now: datetime) -> None:
    hashed = nik_hash(DEMO_TEACHER_NIK)
    if db.session.scalar(select(RosterEntry.id).where(RosterEntry.programme_year == cohort.programme_year,
                                                      RosterEntry.nik_hash == hashed)) is None:
        db.session.add(RosterEntry(cohort_id=cohort.id, programme_year=cohort.programme_year, nik_hash=hashed,
                                   nik_encrypted=encrypt_nik(DEMO_TEACHER_NIK), nama=teacher.name,
                                   email=teacher.email, npsn=DEMO_TEACHER_NPSN,
                                   satuan_pendidikan="SD Negeri 1 Makassar",
                                   kode_kabkota=DEMO_TEACHER_KABKOTA, created_at=now, updated_at=now))


#: (site, kode_kabkota, address): a few TUK, the demo teacher's Makassar first among them.
DEMO_SITES = (
    ("TUK Universitas Negeri Makassar", "7371", "Jl. A. P. Pettarani, Makassar"),
    ("TUK Universitas Negeri Jakarta", "3175", "Jl. Rawamangun Muka, Jakarta Timur"),
    ("TUK Universitas Negeri Surabaya", "3578", "Jl. Lidah Wetan, Surabaya"),
    ("TUK Universitas Cenderawasih", "9171", "Jl. Kamp Wolker, Jayapura"),
)


def _demo_sites(today: date) -> None:
    exam_day = today + timedelta(days=40)
    rows = [{"site": name, "kode_kabkota": kode, "address": address, "date": exam_day + timedelta(days=d),
             "start": time(hour), "seats": 40, "line": 0}
            for name, kode, address in DEMO_SITES for d in (0, 1) for hour in (8, 13)]
    import_sites(rows)


def _upsert_cohort(code, name, year, first, last, curriculum: Curriculum) -> Cohort:
    cohort = db.session.scalar(select(Cohort).where(Cohort.code == code))
    if cohort is None:
        return cohorts.create_cohort(code=code, name=name, programme_year=year, learning_start=first,
                                     learning_end=last, curriculum=curriculum)
    # An existing cohort keeps its windows: an admin may have moved them (the demo never resets that).
    changed = cohort.curriculum_id != curriculum.id
    cohort.name, cohort.curriculum = name, curriculum
    if changed:
        db.session.flush()
        summary.retotal_cohort(cohort.id)
    return cohort


def more_demo_cohorts(demo: Cohort, count: int) -> list[Cohort]:
    """DEMO-2 … DEMO-(count+1): open cohorts like DEMO (its window and curriculum when created; an existing one
    keeps its own window), so that a benchmark can hold several cohorts at once."""
    made = []
    for n in range(2, count + 2):
        made.append(_upsert_cohort(f"DEMO-{n}", f"Angkatan Demo {n}", demo.programme_year, demo.learning_start,
                                   demo.learning_end, demo.curriculum))
    return made


def generate_participants(cohort: Cohort, count: int, *, now: datetime, seed: int = 2024, batch: int = 5000) -> int:
    """Add ``count`` synthetic participants to ``cohort`` with varied progress (for benchmarks), each with a roster
    entry (a synthetic NIK, hashed and encrypted as an import stores it) at one of ``count / TEACHERS_PER_SCHOOL``
    schools, whose kab/kota is the participant's."""
    rng = random.Random(seed)
    schools = max(1, count // TEACHERS_PER_SCHOOL)
    encrypt = nik_encryptor()
    start = db.session.scalar(select(func.count(User.id)))
    materi = db.session.execute(select(Materi.id, Module.id).join(Module)
                                .where(Module.curriculum_id == cohort.curriculum_id)
                                .order_by(Module.position, Materi.position)).all()
    module_ids = list(dict.fromkeys(m for _, m in materi))
    made = 0
    while made < count:
        size = min(batch, count - made)
        numbers = range(start + made, start + made + size)
        emails = [f"peserta{n:07d}@guru.sd.belajar.id" for n in numbers]
        db.session.execute(insert(User), [{"email": e, "name": f"Peserta {n}", "created_at": now, "active": True}
                                          for e, n in zip(emails, numbers, strict=True)])
        ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
        places = [_synthetic_school(rng.randrange(schools)) for _ in emails]
        db.session.execute(insert(Enrollment), [
            {"user_id": ids[email], "cohort_id": cohort.id, "programme_year": cohort.programme_year,
             "status": cohorts.initial_status(cohort, now), "kode_kabkota": kode, "npsn": npsn, "created_at": now}
            for email, (npsn, _, kode) in zip(emails, places, strict=True)])
        niks = [f"{kode}99{n:010d}" for n, (_, _, kode) in zip(numbers, places, strict=True)]
        db.session.execute(insert(RosterEntry), [
            {"cohort_id": cohort.id, "programme_year": cohort.programme_year, "nik_hash": nik_hash(nik),
             "nik_encrypted": token, "nama": f"Peserta {n}", "email": email, "npsn": npsn,
             "satuan_pendidikan": school, "kode_kabkota": kode, "created_at": now, "updated_at": now}
            for n, email, (npsn, school, kode), nik, token in zip(numbers, emails, places, niks, encrypt(niks),
                                                                  strict=True)])
        ids = list(ids.values())
        enrollments = db.session.execute(select(Enrollment.id).where(Enrollment.user_id.in_(ids))).scalars().all()
        _synthetic_progress(enrollments, materi, module_ids, rng, now)
        made += size
    db.session.flush()
    rebuild(cohort.id)  # the rows above were written directly: their summary rows, set-based
    return made


def _synthetic_school(school: int) -> tuple[str, str, str]:
    """(NPSN, name, kab/kota) of synthetic school number ``school``."""
    kode = SYNTHETIC_KABKOTA[school % len(SYNTHETIC_KABKOTA)]
    return f"{80000000 + school:08d}", f"SD Sintetis {school} {kode}", kode


def _synthetic_progress(enrollments, materi, module_ids, rng, now) -> None:
    progress_rows, attempts, journals = [], [], []
    for enrollment_id in enrollments:
        done_modules = rng.randint(0, len(module_ids))
        extra = rng.randint(0, 3)
        for materi_id, module_id in materi:
            index = module_ids.index(module_id)
            if index < done_modules or (index == done_modules and extra > 0):
                progress_rows.append({"enrollment_id": enrollment_id, "materi_id": materi_id, "done_at": now})
                if index == done_modules:
                    extra -= 1
        for module_id in module_ids[:done_modules]:
            attempts.append({"enrollment_id": enrollment_id, "module_id": module_id, "score": rng.randint(0, 5),
                             "max_score": 5, "answers": {}, "submitted_at": now})
            journals.append({"enrollment_id": enrollment_id, "module_id": module_id, "draft_answers": {},
                             "submitted_answers": {}, "status": "submitted", "updated_at": now,
                             "submitted_at": now, "version": 1})
    for table, rows in ((MateriProgress, progress_rows), (Attempt, attempts), (JournalEntry, journals)):
        if rows:
            db.session.execute(insert(table), rows)
