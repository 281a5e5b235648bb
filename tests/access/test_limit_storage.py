"""Cek NIK limits live in Redis when it is configured, so that every web worker shares one count."""

from __future__ import annotations

import pytest
import redis

from tests.conftest import REDIS_URL, service_unavailable
from tests.learning import Learning

UNREGISTERED_NIK = "3175014101850002"


@pytest.mark.redis
def test_two_workers_share_the_limit_through_redis(make_app):
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as exc:
        service_unavailable("Redis", exc)
    env = {"LMS_REDIS_URL": REDIS_URL, "LMS_NIK_CHECK_LIMIT_ACCOUNT": "3/hour",
           "LMS_NIK_CHECK_LIMIT_ADDRESS": "100/hour"}
    first = make_app(env=env)
    # A second worker: its own app (and its own in-process state), the same database and the same Redis.
    second = make_app(env={**env, "LMS_DATABASE_URL": first.config["SQLALCHEMY_DATABASE_URI"]})
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    headers = Learning(first).headers("guru.redis@guru.sd.belajar.id")
    for _ in range(3):
        assert first.test_client().post("/api/v1/nik-check", headers=headers,
                                        json={"nik": UNREGISTERED_NIK}).status_code == 200
    refused = second.test_client().post("/api/v1/nik-check", headers=headers, json={"nik": UNREGISTERED_NIK})
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate_limited"
    assert redis.Redis.from_url(REDIS_URL).dbsize() > 0
