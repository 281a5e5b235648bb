"""xAPI delivery task."""

from __future__ import annotations

from celery import shared_task

from lms.core.time import now_utc
from lms.extensions import db
from lms.records.outbox import deliver_pending


@shared_task(name="records.deliver_xapi")
def deliver_xapi() -> int:
    sent = deliver_pending(now=now_utc())
    db.session.commit()
    return sent
