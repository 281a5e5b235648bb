"""Outbox delivery claims one message at a time: a worker that dies mid-batch leaves only the message it was
sending in doubt (sent again after the lease, so at least once); two workers at once never send one twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_mail import email_dispatched
from sqlalchemy import func, select

from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import deliver_pending
from tests.cohorts.test_reminders import at, remind, setup

NOW = at(7)


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the sender catches it."""


def pending_reminders(app, learning, n: int) -> list[str]:
    setup(app, learning, n=n + 1)  # the first participant is complete and gets no reminder
    assert remind(app, NOW)["H-7"] == n
    app.config["MAIL_SERVER"] = "smtp.example.test"
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.to_email).order_by(OutboxMessage.id)))


def deliver(app, now, *, die_on: str | None = None) -> list[str]:
    sent = []

    def record(sender, message):
        if message.recipients[0] == die_on:
            raise Killed()
        sent.append(message.recipients[0])

    with app.app_context(), email_dispatched.connected_to(record, app):
        try:
            deliver_pending(now=now)
        except Killed:
            pass
        finally:
            db.session.remove()
    return sent


def state(app) -> dict[str, tuple[bool, bool, int]]:
    with app.app_context():
        return {m.to_email: (m.sent_at is not None, m.claimed_at is not None, m.attempts)
                for m in db.session.scalars(select(OutboxMessage))}


def test_a_worker_killed_mid_batch_leaves_only_the_message_in_flight(app, learning):
    emails = pending_reminders(app, learning, 6)
    assert deliver(app, NOW, die_on=emails[2]) == emails[:2]
    after_crash = state(app)
    assert [after_crash[e] for e in emails] == [(True, True, 1)] * 2 + [(False, True, 1)] + [(False, False, 0)] * 3

    # The next pass sends the untouched rest; the in-flight one is still within its lease.
    assert deliver(app, NOW + timedelta(minutes=1)) == emails[3:]
    assert state(app)[emails[2]] == (False, True, 1)
    # Once the lease has run out it is sent again: at least once for that one message, never twice for the rest.
    lease = timedelta(seconds=app.config["OUTBOX_CLAIM_TIMEOUT"])
    assert deliver(app, NOW + lease) == [emails[2]]
    assert all(sent for sent, _, _ in state(app).values())
    assert deliver(app, NOW + 2 * lease) == []


def test_an_smtp_error_releases_the_claim_for_a_retry(app, learning):
    emails = pending_reminders(app, learning, 2)
    sent = []

    def refuse_first(sender, message):
        if message.recipients[0] == emails[0] and not sent:
            sent.append("refused")
            raise OSError("421 try later")

    with app.app_context(), email_dispatched.connected_to(refuse_first, app):
        assert deliver_pending(now=NOW) == 1
    with app.app_context():
        first = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == emails[0]))
        assert (first.sent_at, first.claimed_at, first.attempts) == (None, None, 1) and "421" in first.error
    assert deliver(app, NOW) == [emails[0]]


@pytest.mark.postgres
def test_two_workers_at_once_send_each_message_once(pg_app, pg_learning):
    app = pg_app
    pending_reminders(app, pg_learning, 40)
    barrier = threading.Barrier(4)
    sent, errors = [], []
    lock = threading.Lock()

    def record(sender, message):
        with lock:
            sent.append(message.recipients[0])

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                deliver_pending(now=NOW)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    with email_dispatched.connected_to(record, app):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert len(sent) == 40 and len(set(sent)) == 40
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0
        assert db.session.scalar(select(func.max(OutboxMessage.attempts))) == 1
