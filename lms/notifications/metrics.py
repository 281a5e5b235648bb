"""The outbox, as Prometheus gauges read at scrape time (registered by the app factory)."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.core.time import now_utc
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import MAX_ATTEMPTS


def outbox_gauges() -> list[tuple[str, str, float]]:
    pending = (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
    count, oldest = db.session.execute(select(func.count(), func.min(OutboxMessage.created_at))
                                       .where(*pending)).one()
    undeliverable = db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None),
                                                                 OutboxMessage.attempts >= MAX_ATTEMPTS))
    db.session.rollback()
    age = max((now_utc() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return [("lms_outbox_pending", "Outbox messages not yet sent.", count),
            ("lms_outbox_oldest_pending_age_seconds", "Age of the oldest unsent outbox message.", age),
            ("lms_outbox_undeliverable", "Outbox messages that failed every attempt.", undeliverable)]
