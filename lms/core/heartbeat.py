"""The worker's heartbeat: one row, updated by the periodic task, read by /healthz."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: How many beats were recorded, to see that the schedule keeps running.
    count: Mapped[int] = mapped_column(default=0)


def record_beat(*, now: datetime, name: str = "worker") -> None:
    row = db.session.get(WorkerHeartbeat, name)
    if row is None:
        db.session.add(WorkerHeartbeat(name=name, at=now, count=1))
    else:
        row.at = now
        row.count += 1
    db.session.flush()


def last_beat(name: str = "worker") -> datetime | None:
    return db.session.scalar(select(WorkerHeartbeat.at).where(WorkerHeartbeat.name == name))
