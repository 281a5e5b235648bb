"""A roster import that fails on a server error ends ``failed`` with its reason, imports nothing, and can be run
again: in the staging phase (second batch), in the apply phase, and through the Celery task."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lms.auth.models import User
from lms.cohorts import roster
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster import applying, staging
from lms.cohorts.roster_models import RosterEntry, RosterImport, RosterImportRow
from lms.extensions import db
from tests.cohorts.test_roster import csv_bytes, good
from tests.learning import DURING, log_in

ADMIN = "admin.gagal@belajar.id"


class Boom(RuntimeError):
    pass


def totals(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (RosterEntry, User, Enrollment, RosterImportRow))


def start(app, cohort_id) -> int:
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "roster.csv", now=DURING)
        db.session.commit()
        return job.id


def run(app, job_id, data: bytes) -> RosterImport:
    with app.app_context():
        job = roster.run_import(db.session.get(RosterImport, job_id), io.BytesIO(data), now=DURING)
        return job.status, job.file_error, roster.server_failure(job)


def stored(app, job_id):
    with app.app_context():
        job = db.session.get(RosterImport, job_id)
        return job.status, job.file_error, job.finished_at


def assert_failed_and_nothing_imported(app, job_id, before, outcome):
    status, reason, server = outcome
    assert status == "failed" and server
    assert "Tidak ada data yang diimpor" in reason and "Boom" in reason
    # What the database holds (committed in its own transaction), not only the returned object.
    assert stored(app, job_id)[0] == "failed" and stored(app, job_id)[1] == reason and stored(app, job_id)[2]
    assert totals(app) == before


def test_failure_in_the_second_staging_batch(app, learning, monkeypatch):
    cohort_id = learning.cohort()
    data = csv_bytes(good(roster.BATCH_SIZE + 500))
    before = totals(app)
    real_flush, calls = staging._flush, []

    def flaky_flush(run, batch, known):
        calls.append(len(batch))
        if len(calls) == 2:
            raise Boom("disk full")
        real_flush(run, batch, known)

    monkeypatch.setattr(staging, "_flush", flaky_flush)
    job_id = start(app, cohort_id)
    assert_failed_and_nothing_imported(app, job_id, before, run(app, job_id, data))
    assert calls == [roster.BATCH_SIZE, 500]  # the first batch was committed to staging, then cleaned away

    monkeypatch.setattr(staging, "_flush", real_flush)
    again = start(app, cohort_id)
    assert run(app, again, data)[0] == "done"
    assert totals(app)[0] == roster.BATCH_SIZE + 500 and totals(app)[3] == 0


def test_failure_in_the_apply_phase(app, learning, monkeypatch):
    cohort_id = learning.cohort()
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    headers = learning.headers(ADMIN)
    data = csv_bytes(good(7))
    before = totals(app)
    real_apply = applying.apply_rows

    def apply_then_fail(job, cohort, now, todo):
        real_apply(job, cohort, now, todo)  # entries, accounts and enrollments written, not committed
        raise Boom("lost connection")

    monkeypatch.setattr(applying, "apply_rows", apply_then_fail)
    job_id = start(app, cohort_id)
    assert_failed_and_nothing_imported(app, job_id, before, run(app, job_id, data))

    # Shown to the admin: the page and the API.
    page = log_in(app, ADMIN).get(f"/admin/imports/{job_id}")
    assert page.status_code == 200 and 'data-testid="file-error"' in page.get_data(as_text=True)
    assert "Boom" in page.get_data(as_text=True)
    body = app.test_client().get(f"/api/v1/roster-imports/{job_id}", headers=headers).get_json()
    assert body["status"] == "failed" and "Boom" in body["file_error"] and body["stats"]["failure"] == "server_error"

    monkeypatch.setattr(applying, "apply_rows", real_apply)
    again = start(app, cohort_id)
    assert run(app, again, data)[0] == "done"
    assert totals(app)[:3] == (before[0] + 7, before[1] + 7, before[2] + 7)


def test_sync_api_upload_that_fails_answers_500_with_the_failed_import(app, learning, monkeypatch):
    learning.cohort(code="ROS")
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    headers = learning.headers(ADMIN)
    monkeypatch.setattr(applying, "check_across_rows", lambda job, cohort: (_ for _ in ()).throw(Boom("x")))
    before = totals(app)
    response = app.test_client().post("/api/v1/cohorts/ROS/roster", headers=headers, data=csv_bytes(good(3)),
                                      content_type="text/csv")
    body = response.get_json()
    assert response.status_code == 500 and body["code"] == "roster_import_failed" and "Boom" in body["message"]
    assert body["import"]["status"] == "failed"
    assert totals(app) == before


@pytest.mark.parametrize("where", ["staging", "apply", "missing_file"])
def test_the_celery_task_marks_the_job_failed(app, learning, monkeypatch, tmp_path, where):
    from lms.cohorts import tasks

    cohort_id = learning.cohort()
    data = csv_bytes(good(5))
    before = totals(app)
    with app.app_context():
        path = roster.store_upload(io.BytesIO(data), str(tmp_path))
        job = roster.create_import(db.session.get(Cohort, cohort_id), "big.csv", now=DURING, stored_path=path)
        db.session.commit()
        job_id = job.id
    if where == "staging":
        monkeypatch.setattr(staging, "check_row", lambda *a: (_ for _ in ()).throw(Boom("bad")))
    elif where == "apply":
        monkeypatch.setattr(applying, "apply_rows", lambda *a: (_ for _ in ()).throw(Boom("bad")))
    else:
        (tmp_path / "rosters").joinpath(path.rsplit("/", 1)[-1]).unlink()
    result = tasks.import_roster.apply(args=[job_id]).get()
    assert result == "failed"
    status, reason, finished = stored(app, job_id)
    assert status == "failed" and reason and finished
    assert ("Boom" in reason) if where != "missing_file" else ("FileNotFoundError" in reason)
    assert totals(app) == before
    assert list((tmp_path / "rosters").iterdir()) == []
