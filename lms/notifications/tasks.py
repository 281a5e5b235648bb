"""Outbox delivery task."""

from __future__ import annotations

from celery import shared_task

from lms.core.time import now_utc
from lms.extensions import db
from lms.notifications.services import deliver_pending


@shared_task(name="notifications.deliver_outbox")
def deliver_outbox() -> int:
    sent = deliver_pending(now=now_utc())
    db.session.commit()
    return sent
