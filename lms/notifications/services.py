"""Rendering and delivering outbox messages. Without SMTP configured, messages stay in the outbox for admins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from lms.extensions import db, mail
from lms.notifications.models import OutboxMessage

MAX_ATTEMPTS = 5


@dataclass
class Rendered:
    subject: str
    body: str


#: The key, in ``app.extensions``, of the renderers of message kinds that a domain composes when the message is sent
#: (``{kind: render(message, enrollment) -> Rendered}``). The app factory fills it, so that this package, below the
#: domains that send mail, imports none of them.
RENDERERS = "lms.notification_renderers"


def register_renderer(app, kind: str, renderer) -> None:
    app.extensions.setdefault(RENDERERS, {})[kind] = renderer


def render(message: OutboxMessage, enrollment) -> Rendered:
    """The message's subject and body; ``enrollment`` (the message's, or None) is what a kind's renderer reads."""
    renderer = current_app.extensions.get(RENDERERS, {}).get(message.kind)
    if renderer is not None and enrollment is not None:
        return renderer(message, enrollment)
    if isinstance(message.params.get("subject"), str) and isinstance(message.params.get("body"), str):
        return Rendered(message.params["subject"], message.params["body"])  # composed by the sending domain
    return Rendered(f"Sertifikasi Pendidik: {message.kind}", str(message.params))


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver_pending(*, now: datetime, batch: int = 200, lease: timedelta | None = None) -> int:
    """Send up to ``batch`` pending messages by SMTP, one at a time: claim (committed), send, record (committed).

    Two workers never send the same message: the claim is one conditional UPDATE, and a claimed message is left
    alone until its lease runs out. A worker killed mid-batch leaves at most one message claimed but not recorded
    (the one it was sending); after the lease it is sent again, so that message is delivered at least once (maybe
    twice), and every other one exactly once.
    """
    if not smtp_configured():
        return 0
    lease = lease if lease is not None else timedelta(seconds=current_app.config["OUTBOX_CLAIM_TIMEOUT"])
    claimable = (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                 or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at <= now - lease))
    candidates = list(db.session.scalars(select(OutboxMessage.id).where(*claimable)
                                         .order_by(OutboxMessage.id).limit(batch)))
    db.session.commit()
    sent = 0
    with mail.connect() as connection:
        for message_id in candidates:
            token = uuid.uuid4().hex
            claimed = db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id, *claimable)
                .values(claimed_at=now, claimed_by=token, attempts=OutboxMessage.attempts + 1),
                execution_options={"synchronize_session": False})
            db.session.commit()
            if claimed.rowcount != 1:
                continue  # another worker has it
            if _send_one(connection, message_id, token, now):
                sent += 1
    return sent


def _send_one(connection, message_id: int, token: str, now: datetime) -> bool:
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id)
                                .options(joinedload(OutboxMessage.enrollment)))
    rendered, to_email = render(message, message.enrollment), message.to_email
    db.session.rollback()  # no transaction stays open while SMTP talks
    mine = (OutboxMessage.id == message_id, OutboxMessage.claimed_by == token)
    try:
        connection.send(Message(rendered.subject, recipients=[to_email], body=rendered.body))
    except Exception as exc:  # noqa: BLE001 - any SMTP failure is recorded and retried later
        db.session.execute(update(OutboxMessage).where(*mine).values(error=str(exc)[:500], claimed_at=None,
                                                                     claimed_by=None),
                           execution_options={"synchronize_session": False})
        db.session.commit()
        return False
    db.session.execute(update(OutboxMessage).where(*mine).values(sent_at=now, error=None),
                       execution_options={"synchronize_session": False})
    db.session.commit()
    return True
