"""Backup and restore: a pg_dump restored into an empty database, then `lms db upgrade`, gives a working app with
every participant's progress (PostgreSQL)."""

from __future__ import annotations

import json
import subprocess

import pytest

from lms import create_app
from lms.extensions import db
from tests.conftest import SECRET, migrate_database, postgres_available
from tests.core.cluster import PG_BIN, fresh_database
from tests.core.faults_data import libpq
from tests.learning import DURING, Learning

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PARTICIPANTS = ("guru.satu@guru.sd.belajar.id", "guru.dua@guru.sd.belajar.id", "guru.tiga@guru.sd.belajar.id")


def app_on(url: str):
    return create_app({"TESTING": True}, env={"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": SECRET})


def progress_of(app, headers: dict[str, dict]) -> dict[str, dict]:
    client = app.test_client()
    return {email: client.get("/api/v1/me/progress", headers=h).get_json() for email, h in headers.items()}


def test_a_dump_restored_and_upgraded_keeps_every_participants_progress(tmp_path, frozen_clock):
    postgres_available()
    if PG_BIN is None:
        pytest.skip("pg_dump not installed")
    frozen_clock(DURING)
    source, drop_source = fresh_database()
    target, drop_target = fresh_database()
    try:
        migrate_database(source)
        app = app_on(source)
        learning = Learning(app)
        cohort_id = learning.cohort(curriculum_id=learning.curriculum())
        headers = {}
        for done, email in enumerate(PARTICIPANTS):
            learning.participant(email, cohort_id=cohort_id)
            headers[email] = learning.headers(email)
            client = app.test_client()
            modules = client.get("/api/v1/me/progress", headers=headers[email]).get_json()["modules"]
            for module in modules[:done]:  # none, one module, two modules
                for materi in module["materi"]:
                    assert client.post(f"/api/v1/materi/{materi['id']}/complete",
                                       headers=headers[email]).status_code == 200
        before = progress_of(app, headers)
        # The backup is taken before the latest release's migration; restoring it then upgrading must work.
        assert app.test_cli_runner().invoke(args=["db", "downgrade", "0013"]).exit_code == 0
        with app.app_context():
            db.engine.dispose()
        dump = tmp_path / "lms.dump"
        subprocess.run([str(PG_BIN / "pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", libpq(source)],
                       check=True, capture_output=True)
        subprocess.run([str(PG_BIN / "pg_restore"), "--no-owner", f"--dbname={libpq(target)}", str(dump)],
                       check=True, capture_output=True)

        restored = app_on(target)
        result = restored.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert restored.test_client().get("/readyz").status_code == 200
        after = progress_of(restored, headers)
        assert after == before
        assert len({json.dumps(p, sort_keys=True) for p in after.values()}) == len(PARTICIPANTS)  # three stages
        with restored.app_context():
            db.engine.dispose()
    finally:
        drop_source()
        drop_target()
