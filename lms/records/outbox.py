"""The xAPI outbox: statements are written with their event and sent in batches to the LRS.

Delivery follows the e-mail outbox (``lms.notifications.services``): claim (one conditional UPDATE, committed),
send, record (committed). A failed batch is retried with exponential backoff; a statement still failing after
``XAPI_MAX_ATTEMPTS`` goes to the dead-letter list, which admins see and can retry. Statement ids are fixed when
the row is written, so a re-delivery (a worker that died after sending, a forced retry) cannot make a duplicate:
the LRS answers 409 for an id it already holds (or 200/204 again), and both count as delivered.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import func, or_, select, update

from lms.core.db import dialect_insert
from lms.extensions import db
from lms.records.models import XapiStatement

#: The first retry waits this long; each further one twice as long, up to ``MAX_BACKOFF``.
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
DELIVERED = (200, 204, 409)


def enabled() -> bool:
    """The feature is off without an endpoint: no statement is written, nothing is sent."""
    return bool(current_app.config.get("XAPI_ENDPOINT"))


def enqueue(enrollment_id: int | None, items: list[tuple[str, dict]], *, now: datetime) -> int:
    """Write statements (``(key, statement)``) in the current transaction; a key already written is skipped.
    One INSERT whatever the number of statements; returns how many were new."""
    if not items:
        return 0
    insert = dialect_insert(db.session)
    rows = [{"statement_id": body["id"], "key": key, "enrollment_id": enrollment_id, "statement": body,
             "created_at": now, "attempts": 0} for key, body in items]
    table = XapiStatement.__table__
    written = db.session.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=["key"])
                                 .returning(table.c.id))
    return len(written.all())  # RETURNING: a multi-row INSERT's rowcount is not reliable on every driver


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claimable(now: datetime, lease: timedelta):
    return (XapiStatement.sent_at.is_(None), XapiStatement.dead_at.is_(None),
            or_(XapiStatement.next_attempt_at.is_(None), XapiStatement.next_attempt_at <= now),
            or_(XapiStatement.claimed_at.is_(None), XapiStatement.claimed_at <= now - lease))


def deliver_pending(*, now: datetime, batch: int | None = None, max_batches: int = 20) -> int:
    """Send due statements in batches until none is due (or ``max_batches``); returns how many were delivered."""
    if not enabled():
        return 0
    config = current_app.config
    batch = batch or config["XAPI_BATCH_SIZE"]
    lease = timedelta(seconds=config["OUTBOX_CLAIM_TIMEOUT"])
    delivered = 0
    for _ in range(max_batches):
        token = uuid.uuid4().hex
        # SKIP LOCKED (PostgreSQL): concurrent workers take different rows instead of queueing behind one another;
        # the conditions are repeated in the UPDATE, so a row claimed meanwhile is never taken twice.
        ids = (select(XapiStatement.id).where(*_claimable(now, lease)).order_by(XapiStatement.id).limit(batch)
               .with_for_update(skip_locked=True))
        db.session.execute(update(XapiStatement).where(XapiStatement.id.in_(ids.scalar_subquery()),
                                                       *_claimable(now, lease))
                           .values(claimed_at=now, claimed_by=token, attempts=XapiStatement.attempts + 1),
                           execution_options={"synchronize_session": False})
        db.session.commit()
        claimed = db.session.execute(select(XapiStatement.id, XapiStatement.statement, XapiStatement.attempts)
                                     .where(XapiStatement.claimed_by == token).order_by(XapiStatement.id)).all()
        db.session.rollback()  # no transaction stays open while the LRS answers
        if not claimed:
            break
        delivered += _send_batch(claimed, token, now)
        if len(claimed) < batch:
            break
    return delivered


def _post(statements: list[dict]) -> requests.Response:
    config = current_app.config
    return requests.post(config["XAPI_ENDPOINT"].rstrip("/") + "/statements", json=statements,
                         auth=(config["XAPI_USERNAME"], config["XAPI_PASSWORD"]),
                         headers={"X-Experience-API-Version": "1.0.3"}, timeout=config["XAPI_TIMEOUT"])


def _send_batch(claimed, token: str, now: datetime) -> int:
    try:
        answer = _post([row.statement for row in claimed])
    except requests.RequestException as exc:
        _failed(claimed, token, now, f"{type(exc).__name__}: {exc}")
        return 0
    if answer.status_code in (200, 204):
        _delivered([row.id for row in claimed], token, now)
        return len(claimed)
    if answer.status_code == 409 and len(claimed) > 1:
        # Some id is already in the LRS (a re-delivery): send one by one, a 409 alone means "already there".
        return sum(_send_batch([row], token, now) for row in claimed)
    if answer.status_code == 409:
        _delivered([claimed[0].id], token, now)
        return 1
    _failed(claimed, token, now, f"HTTP {answer.status_code}: {answer.text[:400]}")
    return 0


def _delivered(ids: list[int], token: str, now: datetime) -> None:
    db.session.execute(update(XapiStatement).where(XapiStatement.id.in_(ids), XapiStatement.claimed_by == token)
                       .values(sent_at=now, error=None), execution_options={"synchronize_session": False})
    db.session.commit()


def _failed(claimed, token: str, now: datetime, error: str) -> None:
    limit = current_app.config["XAPI_MAX_ATTEMPTS"]
    for row in claimed:
        values = {"error": error[:500], "claimed_at": None, "claimed_by": None}
        if row.attempts >= limit:
            values["dead_at"] = now
        else:
            values["next_attempt_at"] = now + backoff(row.attempts)
        db.session.execute(update(XapiStatement).where(XapiStatement.id == row.id,
                                                       XapiStatement.claimed_by == token)
                           .values(**values), execution_options={"synchronize_session": False})
    db.session.commit()


def dead_letters(limit: int = 200) -> list[XapiStatement]:
    return list(db.session.scalars(select(XapiStatement).where(XapiStatement.dead_at.is_not(None))
                                   .order_by(XapiStatement.id).limit(limit)))


def counts() -> dict[str, int]:
    row = db.session.execute(select(
        func.count().filter(XapiStatement.sent_at.is_not(None)),
        func.count().filter(XapiStatement.sent_at.is_(None), XapiStatement.dead_at.is_(None)),
        func.count().filter(XapiStatement.dead_at.is_not(None)))).one()
    return {"sent": row[0], "pending": row[1], "dead": row[2]}


def retry(*, now: datetime, statement_ids: list[int] | None = None, resend_sent: bool = False) -> int:
    """Put dead letters (all, or the given ones) back in the queue with a fresh attempt budget. With
    ``resend_sent``, sent statements are queued again too (a forced re-delivery; the LRS keeps one per id)."""
    condition = XapiStatement.dead_at.is_not(None)
    if resend_sent:
        condition = or_(condition, XapiStatement.sent_at.is_not(None))
    query = update(XapiStatement).where(condition)
    if statement_ids is not None:
        query = query.where(XapiStatement.id.in_(statement_ids))
    return db.session.execute(query.values(dead_at=None, sent_at=None, attempts=0, next_attempt_at=now,
                                           claimed_at=None, claimed_by=None),
                              execution_options={"synchronize_session": False}).rowcount
