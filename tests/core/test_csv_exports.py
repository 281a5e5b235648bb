"""Every CSV export neutralises formulas: a participant named ``=HYPERLINK("http://x")`` comes out as text.

The roster a selection run publishes goes through the same helper, and the roster import undoes it, so the
published names arrive unchanged.
"""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select, update

from bench.pool_datagen import write_pool
from lms.auth.models import User
from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.cohorts.roster_models import RosterEntry
from lms.extensions import db
from lms.selection import runs
from lms.selection.models import SelectionEntry, SelectionRun
from lms.selection.runs import RunInputs, run_selection
from tests.learning import DURING, log_in
from tests.ukppg.helpers import complete, make_sessions

EVIL = '=HYPERLINK("http://x")'
GURU = "guru.formula@guru.sd.belajar.id"
ADMIN = "admin.formula@belajar.id"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def grant_admin(app) -> None:
    result = app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"])
    assert result.exit_code == 0, result.output


def rename(app, email: str, name: str) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(name=name))
        db.session.commit()


def test_ukppg_registrations_export(app, learning, during):
    cohort_id = learning.cohort()
    enrollment_id = learning.participant(GURU, cohort_id=cohort_id, kode_kabkota="7371")
    complete(app, enrollment_id)
    session_id = make_sessions(app, ("TUK Makassar", "7371", 2))[0]
    client = app.test_client()
    assert client.post("/api/v1/ukppg/registrations", headers=learning.headers(GURU),
                       json={"session_id": session_id}).status_code == 201
    rename(app, GURU, EVIL)
    grant_admin(app)
    api = client.get("/api/v1/ukppg/registrations?format=csv", headers=learning.headers(ADMIN))
    page = log_in(app, ADMIN).get("/admin/ukppg/pendaftaran.csv")
    for response in (api, page):
        assert response.status_code == 200 and response.mimetype == "text/csv"
        header, row = rows_of(response.get_data(as_text=True))
        assert row[header.index("name")] == "'" + EVIL
        assert row[header.index("email")] == GURU  # untouched
    # The JSON listing is data, not a spreadsheet: unchanged.
    body = client.get("/api/v1/ukppg/registrations", headers=learning.headers(ADMIN)).get_json()
    assert body["registrations"][0]["name"] == EVIL


def test_progress_report_export(app, learning, during):
    cohort_id = learning.cohort()
    data = io.StringIO()
    csv.writer(data).writerows([roster.COLUMNS, ["3175014101850002", "+62 Guru", GURU, "12345678", "@SUM(A1)",
                                                 "3175"]])
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "r.csv", now=DURING)
        db.session.commit()
        assert roster.run_import(job, io.BytesIO(data.getvalue().encode()), now=DURING).status == "done"
    grant_admin(app)
    response = app.test_client().get("/api/v1/cohorts/UJI-1/progress?group=school&format=csv",
                                     headers=learning.headers(ADMIN))
    assert response.status_code == 200
    header, row = rows_of(response.get_data(as_text=True))
    assert (row[header.index("school")], row[header.index("nama")]) == ("12345678", "'@SUM(A1)")
    page = log_in(app, ADMIN).get("/admin/cohorts/UJI-1/progress?group=school&format=csv")
    assert page.status_code == 200 and page.mimetype == "text/csv"
    assert rows_of(page.get_data(as_text=True))[1][1] == "'@SUM(A1)"


def selection_run(app, tmp_path, total=5) -> int:
    path = write_pool(tmp_path / "pool.jsonl", 30)
    with app.app_context():
        result = run_selection(RunInputs(policy="pgt2024", pool=path, total=total), now=DURING)
        db.session.commit()
        return result.id


def poison(app, run_id: int, **names) -> int:
    """Give the first determined entry formula-like values; returns its id."""
    with app.app_context():
        entry = db.session.scalar(select(SelectionEntry).where(SelectionEntry.run_id == run_id,
                                                               SelectionEntry.status == "ditetapkan")
                                  .order_by(SelectionEntry.rank).limit(1))
        for key, value in names.items():
            setattr(entry, key, value)
        db.session.commit()
        return entry.id


def test_selection_output_export(app, tmp_path):
    run_id = selection_run(app, tmp_path)
    poison(app, run_id, nama=EVIL)
    with app.app_context():
        out = io.StringIO()
        runs.write_output(db.session.get(SelectionRun, run_id), out)
    lines = [line for line in out.getvalue().splitlines(keepends=True) if not line.startswith("# PERINGATAN")]
    table = list(csv.DictReader(lines))
    evil = [r for r in table if r["nama"].endswith(EVIL)]
    assert [r["nama"] for r in evil] == ["'" + EVIL]
    assert evil[0]["nik"].isdigit() and len(evil[0]["nik"]) == 16  # NIK untouched


def test_published_list_round_trips_through_the_roster_import(app, learning, tmp_path):
    cohort_id = learning.cohort(code="PGT-FORMULA")
    run_id = selection_run(app, tmp_path)
    poison(app, run_id, nama="-Guru Minus", satuan_pendidikan="+SD Plus")
    result = app.test_cli_runner().invoke(args=["selection", "publish", str(run_id), "--cohort", "PGT-FORMULA",
                                                        "--allow-placeholder"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = set(db.session.scalars(select(RosterEntry.nama).where(RosterEntry.cohort_id == cohort_id)))
        schools = set(db.session.scalars(select(RosterEntry.satuan_pendidikan)
                                         .where(RosterEntry.cohort_id == cohort_id)))
    assert "-Guru Minus" in names and "+SD Plus" in schools  # the import undid the export's prefix
    assert not any(n.startswith("'") for n in names | schools)


def test_a_roster_exported_safely_imports_unchanged(app, learning):
    """A roster file saved from one of our exports (with the ``'`` guard) imports the original values."""
    cohort_id = learning.cohort()
    data = io.StringIO()
    csv.writer(data).writerows([roster.COLUMNS, ["3175014101850002", "'" + EVIL, GURU, "12345678", "'=SD", "3175"]])
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "r.csv", now=DURING)
        db.session.commit()
        job = roster.run_import(job, io.BytesIO(data.getvalue().encode()), now=DURING)
        assert job.status == "done", json.dumps(roster.errors_of(job))
        entry = db.session.scalar(select(RosterEntry))
        assert (entry.nama, entry.satuan_pendidikan) == (EVIL, "=SD")
