"""Core periodic tasks."""

from __future__ import annotations

from celery import shared_task

from lms.core import heartbeat, idempotency
from lms.core.time import now_utc
from lms.extensions import db


@shared_task(name="core.heartbeat")
def beat() -> str:
    """Record that a worker is alive (shown by /healthz)."""
    heartbeat.record_beat(now=now_utc())
    db.session.commit()
    return "ok"


@shared_task(name="core.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete idempotency keys past their 24 hours."""
    purged = idempotency.purge_expired(now=now_utc())
    db.session.commit()
    return purged
