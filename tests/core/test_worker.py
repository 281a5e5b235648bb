"""`lms worker` runs tasks from the embedded broker (no server) and from Redis."""

from __future__ import annotations

import pytest
import redis

from lms import create_app
from lms.core.heartbeat import last_beat
from lms.extensions import db
from tests.conftest import REDIS_URL, service_unavailable
from tests.core.processes import lms, lms_env, start, stop, wait_until


def beat_recorded(app):
    with app.app_context():
        try:
            return last_beat()
        finally:
            db.session.remove()


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_worker_with_beat_runs_tasks(tmp_path, broker):
    extra = {}
    if broker == "redis":
        try:
            redis.Redis.from_url(REDIS_URL).flushdb()
        except redis.RedisError as exc:
            service_unavailable("Redis", exc)
        extra["LMS_BROKER_URL"] = REDIS_URL
    env = lms_env(tmp_path / "instance", **extra)
    lms(env, "db", "upgrade")
    log = tmp_path / "worker.log"
    worker = start(env, log, "worker", "--concurrency", "1")
    app = create_app(env=env)
    try:
        assert beat_recorded(app) is None
        app.extensions["celery"].send_task("core.heartbeat")
        assert wait_until(lambda: beat_recorded(app), what="the heartbeat task", proc=worker, log=log)
        assert "beat: Starting" in log.read_text()
    finally:
        stop(worker)
        with app.app_context():
            db.engine.dispose()
