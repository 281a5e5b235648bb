"""The cohort tasks through a real Celery worker: on Redis, and on the embedded broker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import select

from lms import create_app
from lms.cohorts.models import Enrollment
from lms.demo.data import load_demo
from lms.extensions import db
from tests.conftest import REDIS_URL, service_unavailable
from tests.core.processes import lms, lms_env, start, stop, wait_until


@pytest.mark.slow
@pytest.mark.redis
def test_enforce_windows_runs_in_a_worker_on_redis(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as exc:
        service_unavailable("Redis", exc)
    env = lms_env(tmp_path / "instance", LMS_BROKER_URL=REDIS_URL)
    lms(env, "db", "upgrade")
    app = create_app(env=env)
    with app.app_context():
        # A cohort that closed long ago, with one participant still marked active.
        demo = load_demo(datetime(2024, 8, 1, tzinfo=UTC), allowed_domains=("belajar.id",))
        db.session.commit()
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.cohort_id == demo.id))
    log = tmp_path / "worker.log"
    worker = start(env, log, "worker", "--concurrency", "1", "--no-beat")
    try:
        app.extensions["celery"].send_task("cohorts.enforce_windows")

        def status():
            with app.app_context():
                try:
                    return db.session.get(Enrollment, enrollment_id).status == "tidak_tuntas"
                finally:
                    db.session.remove()

        assert wait_until(status, what="the enforcement task", proc=worker, log=log)
    finally:
        stop(worker)
        with app.app_context():
            db.engine.dispose()
