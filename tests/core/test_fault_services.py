"""Fault tests with real processes: Redis restarted under load (two web instances, a worker, a beat)."""

from __future__ import annotations

import threading

import pytest
import requests

from lms.auth.services import TOKEN_PREFIX
from tests.core import faults_data as data
from tests.core.cluster import wait_for
from tests.core.test_faults import world  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
NIK = "3175014101850002"
TOKEN = f"{TOKEN_PREFIX}fault-redis-{'x' * 30}"


def nik_check(url: str) -> requests.Response:
    return requests.post(f"{url}/api/v1/nik-check", json={"nik": NIK}, timeout=10,
                         headers={"Authorization": f"Bearer {TOKEN}"})


def heartbeats(url: str) -> int:
    return data.scalar(url, "SELECT coalesce(sum(count), 0) FROM worker_heartbeats")


class Load(threading.Thread):
    """Visitors reading pages on both web instances while Redis goes away."""

    def __init__(self, urls: list[str]):
        super().__init__(daemon=True)
        self.urls, self.statuses, self.stopping = urls, [], threading.Event()

    def run(self) -> None:
        with requests.Session() as http:
            while not self.stopping.is_set():
                for url in self.urls:
                    self.statuses.append(http.get(f"{url}/", timeout=10).status_code)

    def stop(self) -> list[int]:
        self.stopping.set()
        self.join()
        return self.statuses


def test_redis_restarted_under_load(world):  # noqa: F811
    db_url, redis_server, cluster = world
    c = cluster(LMS_NIK_CHECK_LIMIT_ACCOUNT="5/hour", LMS_BEAT_INTERVAL_SCALE="0.01")
    data.token_for(db_url, "guru.redis@guru.sd.belajar.id", TOKEN)
    data.pending_outbox(db_url, 20)
    c.set_clock(data.T0)
    c.beat("beat-1")
    c.worker("worker-a", wait=False)
    webs = c.web("web-1", "web-2")
    c.ready("worker-a")
    wait_for(lambda: heartbeats(db_url) > 0, "the first heartbeat")
    assert [nik_check(webs[i % 2]).status_code for i in range(3)] == [200, 200, 200]

    load = Load(webs)
    load.start()
    redis_server.kill()
    for web in webs:
        refused = nik_check(web)
        assert refused.status_code == 503 and refused.json()["code"] == "redis_unavailable"
        assert refused.headers["Retry-After"] == "30"
        ready = requests.get(f"{web}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["redis"].startswith("redis unavailable")
        assert requests.get(f"{web}/healthz", timeout=10).status_code == 200
    redis_server.start()
    for web in webs:
        wait_for(lambda web=web: requests.get(f"{web}/readyz", timeout=10).status_code == 200, "ready again")
    statuses = load.stop()
    assert statuses and set(statuses) == {200}  # the web kept answering throughout

    # The limit survived the restart (append-only file): 3 before + 2 now, then refused; never unlimited.
    after = [nik_check(webs[i % 2]).status_code for i in range(4)]
    assert after == [200, 200, 429, 429]
    # Tasks resume: the worker and the beat reconnect by themselves; no outbox row was lost.
    beats = heartbeats(db_url)
    wait_for(lambda: heartbeats(db_url) >= beats + 3, "heartbeats after the restart", timeout=90)
    assert data.scalar(db_url, "SELECT count(*) FROM outbox_messages") == 20
