"""A roster import whose worker was killed (left ``running``) is taken again once its heartbeat is older than the
lease; a live one is never run twice; a lost queue message is delivered again."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import update

from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.cohorts.roster_models import RosterImport
from lms.extensions import db
from tests.cohorts.test_roster import csv_bytes, good
from tests.learning import DURING

LEASE = timedelta(seconds=600)


def test_a_killed_import_is_taken_again_after_its_lease(app, learning, tmp_path):
    cohort_id = learning.cohort()
    with app.app_context():
        path = roster.store_upload(io.BytesIO(csv_bytes(good(3))), str(tmp_path))
        job = roster.create_import(db.session.get(Cohort, cohort_id), "r.csv", now=DURING, stored_path=path)
        db.session.commit()
        job_id = job.id
        # Not yet stalled: the queue message is still on its way.
        assert roster.stalled_imports(now=DURING) == []
        # A worker took it and was killed (kill -9): running, a heartbeat, never finished.
        db.session.execute(update(RosterImport).where(RosterImport.id == job_id)
                           .values(status="running", heartbeat_at=DURING))
        db.session.commit()
        # Within the lease a second delivery changes nothing: the first worker may still be alive.
        assert roster.import_stored_file(job_id, now=DURING + LEASE / 2).status == "running"
        assert roster.stalled_imports(now=DURING + LEASE / 2) == []
        later = DURING + LEASE + timedelta(seconds=1)
        assert roster.stalled_imports(now=later) == [job_id]
        job = roster.import_stored_file(job_id, now=later)
        assert job.status == "done" and job.stats["inserted"] == 3
        assert roster.stalled_imports(now=later + 2 * LEASE) == []
        # Done is done: another delivery does nothing.
        assert roster.import_stored_file(job_id, now=later + 2 * LEASE).status == "done"


def test_a_stalled_import_without_its_upload_is_marked_failed(app, learning):
    cohort_id = learning.cohort()
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "r.csv", now=DURING)
        job.status, job.heartbeat_at = "running", DURING
        db.session.commit()
        assert roster.stalled_imports(now=DURING + 2 * LEASE) == []
        job = db.session.get(RosterImport, job.id)
        assert job.status == "failed" and job.file_error
