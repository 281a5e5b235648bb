"""Readiness: the database answers with its migrations at head, and Redis (broker, limiter) answers.

``/healthz`` stays liveness (the process and its database connection); ``/readyz`` is what a load balancer asks
before it sends traffic to an instance.
"""

from __future__ import annotations

from functools import cache

import redis
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from lms.extensions import db

#: Seconds each dependency may take to answer a readiness probe.
PROBE_TIMEOUT = 2.0


@cache
def _script_heads(directory: str) -> frozenset[str]:
    """The migration heads shipped with this code (read once per process)."""
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database() -> str | None:
    """None when the database answers and is at head, else the reason."""
    try:
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        return f"database unavailable: {type(exc).__name__}"
    finally:
        db.session.rollback()
    heads = _script_heads(current_app.extensions["migrate"].directory)
    if current != heads:
        return f"migrations not at head: database {sorted(current)}, code {sorted(heads)}"
    return None


def redis_urls() -> list[str]:
    """Every Redis the app talks to: the limiter's storage and the broker, when they are Redis."""
    urls = [current_app.config.get("RATELIMIT_STORAGE_URI") or "", current_app.config.get("BROKER_URL") or ""]
    return list(dict.fromkeys(u for u in urls if u.startswith(("redis://", "rediss://"))))


def check_redis() -> str | None:
    for url in redis_urls():
        client = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT)
        try:
            client.ping()
        except redis.RedisError as exc:
            return f"redis unavailable: {type(exc).__name__}"
        finally:
            client.close()
    return None


def readiness() -> dict[str, str]:
    """``{"database": "ok" | reason, "redis": "ok" | reason}``."""
    return {"database": check_database() or "ok", "redis": check_redis() or "ok"}
