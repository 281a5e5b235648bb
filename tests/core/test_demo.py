"""`lms demo`: the 2024 cohorts of the seed, a cohort open today, the demo curriculum and accounts;
and the whole demo curriculum can be completed to 100%."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core.nik import decrypt_nik
from lms.extensions import db
from lms.modules.models import MateriProgress


def test_demo_loads_the_seed_schedule_and_an_open_cohort(app, runner, frozen_clock):
    frozen_clock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    with app.app_context():
        cohorts = {c.code: c for c in db.session.scalars(select(Cohort))}
        assert set(cohorts) == {"PGT2024-T1", "PGT2024-T2", "PGT2024-DJ", "DEMO"}
        expected = {"PGT2024-T1": (date(2024, 7, 24), date(2024, 9, 4)),
                    "PGT2024-T2": (date(2024, 8, 29), date(2024, 10, 8)),
                    "PGT2024-DJ": (date(2024, 9, 23), date(2024, 11, 4)),
                    "DEMO": (date(2026, 11, 8), date(2026, 12, 22))}
        for code, (first, last) in expected.items():
            assert (cohorts[code].learning_start, cohorts[code].learning_end) == (first, last), code
            assert cohorts[code].curriculum.code == "PGT-DEMO"
        assert cohorts["PGT2024-T1"].learning_opens_at == datetime(2024, 7, 23, 17, 0, tzinfo=UTC)
        assert db.session.scalar(select(func.count(Enrollment.id))) == 1
    client = app.test_client()
    token = runner.invoke(args=["tokens", "create", "guru.demo@guru.sd.belajar.id"]).output.split()[1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["participant"] == {"cohort": "DEMO", "status": "aktif", "programme_year": 2026}
    for email, role in [("admin.demo@belajar.id", "admin_angkatan"), ("bantuan.demo@belajar.id", "helpdesk"),
                        ("super.demo@belajar.id", "superadmin")]:
        assert f"roles={role}" in runner.invoke(args=["users", "show", email]).output


def test_the_whole_demo_curriculum_reaches_100_percent(app, runner, frozen_clock):
    frozen_clock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    runner.invoke(args=["demo"])
    token = runner.invoke(args=["tokens", "create", "guru.demo@guru.sd.belajar.id"]).output.split()[1]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    progress = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert len(progress["modules"]) >= 4
    for module in progress["modules"]:
        for materi in module["materi"]:
            assert client.post(f"/api/v1/materi/{materi['id']}/complete", headers=headers).status_code == 200
        questions = client.get(f"/api/v1/posttests/{module['id']}", headers=headers).get_json()["questions"]
        answers = {str(q["id"]): q["options"][-1]["id"] for q in questions}
        assert client.post(f"/api/v1/posttests/{module['id']}/attempts", headers=headers,
                           json={"answers": answers}).status_code == 201
        journal = client.get(f"/api/v1/journals/{module['id']}", headers=headers).get_json()
        texts = {str(p["id"]): "Refleksi saya tentang pembelajaran di kelas. " * 8 for p in journal["prompts"]}
        saved = client.put(f"/api/v1/journals/{module['id']}", headers=headers, json={"answers": texts, "submit": True})
        assert saved.status_code == 200 and saved.get_json()["status"] == "submitted"
    final = client.get("/api/v1/me/progress", headers=headers).get_json()
    assert final["percent"] == 100 and final["complete"] is True
    assert final["next"]["kind"] == "done"
    assert final["registration"]["eligible"] is True and final["registration"]["open"] is True


def test_demo_generates_synthetic_participants(app, runner):
    result = runner.invoke(args=["demo", "--participants", "300"])
    assert result.exit_code == 0 and "300 synthetic participants" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Enrollment.id))) == 301
        per_enrollment = db.session.execute(select(MateriProgress.enrollment_id, func.count())
                                            .group_by(MateriProgress.enrollment_id)).all()
        assert len({count for _, count in per_enrollment}) > 3  # varied progress
        # Each is on the roster at a school of its own kab/kota (about ten to a school), as an import places it.
        placed = db.session.execute(
            select(Enrollment.npsn, Enrollment.kode_kabkota, RosterEntry.npsn, RosterEntry.kode_kabkota,
                   RosterEntry.nik_encrypted)
            .join(User, User.id == Enrollment.user_id).join(RosterEntry, RosterEntry.email == User.email)
            .where(User.email.like("peserta%"))).all()
        assert len(placed) == 300
        assert all(e_npsn == r_npsn and e_kode == r_kode for e_npsn, e_kode, r_npsn, r_kode, _ in placed)
        assert 20 <= len({row[0] for row in placed}) <= 30
        assert decrypt_nik(placed[0][4]).startswith(placed[0][1])
    assert runner.invoke(args=["progress", "verify"]).exit_code == 0


def test_demo_spreads_participants_over_several_cohorts(app, runner):
    result = runner.invoke(args=["demo", "--participants", "31", "--cohorts", "3"])
    assert result.exit_code == 0, result.output
    assert "11 synthetic participants added to DEMO" in result.output
    assert "10 synthetic participants added to DEMO-3" in result.output
    with app.app_context():
        counts = dict(db.session.execute(select(Cohort.code, func.count(Enrollment.id)).join(
            Enrollment, Enrollment.cohort_id == Cohort.id).group_by(Cohort.code)).all())
        assert counts == {"DEMO": 12, "DEMO-2": 10, "DEMO-3": 10}  # DEMO also has the demo teacher
        demo, third = (db.session.scalar(select(Cohort).where(Cohort.code == code)) for code in ("DEMO", "DEMO-3"))
        assert (third.learning_opens_at, third.learning_closes_at) == (demo.learning_opens_at,
                                                                       demo.learning_closes_at)
        assert third.curriculum_id == demo.curriculum_id


def test_demo_again_keeps_a_window_an_admin_moved_and_has_a_determined_run(app, runner, frozen_clock):
    from lms.selection.models import SelectionEntry, SelectionRun

    frozen_clock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        demo = db.session.scalar(select(Cohort).where(Cohort.code == "DEMO"))
        from lms.cohorts import services as cohorts
        cohorts.set_windows(demo, learning_start=date(2026, 11, 1), learning_end=date(2027, 1, 31),
                            timezone=demo.timezone, registration_start=None, registration_end=None)
        db.session.commit()
    assert runner.invoke(args=["demo", "--participants", "3"]).exit_code == 0
    with app.app_context():
        demo = db.session.scalar(select(Cohort).where(Cohort.code == "DEMO"))
        assert (demo.learning_start, demo.learning_end) == (date(2026, 11, 1), date(2027, 1, 31))
        assert db.session.scalar(select(func.count(SelectionRun.id))) == 1  # run once, kept on later runs
        makassar = select(func.count(SelectionEntry.id)).where(SelectionEntry.kode_kabkota == "7371",
                                                               SelectionEntry.status == "ditetapkan")
        assert db.session.scalar(makassar) > 0
