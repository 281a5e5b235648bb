"""Reminders H-7, H-3, H-1: once per participant and milestone, only to those not complete, never twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_mail import email_dispatched
from sqlalchemy import func, select

from lms.cohorts.models import Enrollment, Reminder
from lms.cohorts.reminders import send_reminders
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import deliver_pending

WIB = ZoneInfo("Asia/Jakarta")
END = datetime(2026, 12, 1, tzinfo=WIB)  # the default test cohort closes here (exclusive)


def at(days_before: float) -> datetime:
    from datetime import timedelta

    return (END - timedelta(days=days_before)).astimezone(UTC)


def setup(app, learning, n=3):
    cohort_id = learning.cohort()
    ids = [learning.participant(f"guru{i}@guru.sd.belajar.id", cohort_id=cohort_id) for i in range(n)]
    with app.app_context():
        db.session.get(Enrollment, ids[0]).completed_at = datetime(2026, 11, 20, tzinfo=UTC)
        db.session.commit()
    return ids


def remind(app, when):
    with app.app_context():
        counts = send_reminders(now=when)
        db.session.commit()
        return counts


def outbox(app):
    with app.app_context():
        return sorted((m.to_email, m.params["milestone"]) for m in db.session.scalars(select(OutboxMessage)))


def test_each_milestone_once_and_only_for_incomplete_participants(app, learning):
    setup(app, learning)
    assert remind(app, at(8))["H-7"] == 0
    assert remind(app, at(7))["H-7"] == 2
    assert remind(app, at(6))["H-7"] == 0  # already sent
    assert remind(app, at(3)) == {"H-7": 0, "H-3": 2, "H-1": 0, "skipped": 0}
    assert remind(app, at(1))["H-1"] == 2
    assert remind(app, at(0.5)) == {"H-7": 0, "H-3": 0, "H-1": 0, "skipped": 0}
    assert outbox(app) == sorted((f"guru{i}@guru.sd.belajar.id", m) for i in (1, 2) for m in ("H-7", "H-3", "H-1"))


def test_after_downtime_only_the_latest_milestone_is_sent(app, learning):
    setup(app, learning)
    counts = remind(app, at(2))
    assert counts == {"H-7": 0, "H-3": 2, "H-1": 0, "skipped": 2}
    with app.app_context():
        assert db.session.scalar(select(func.count(Reminder.id))) == 4  # H-7 recorded as skipped
    assert remind(app, at(2))["H-7"] == 0


def test_no_reminders_after_the_close(app, learning):
    setup(app, learning)
    from datetime import timedelta

    assert remind(app, END.astimezone(UTC) + timedelta(seconds=1)) == {"H-7": 0, "H-3": 0, "H-1": 0, "skipped": 0}


@pytest.mark.postgres
def test_two_passes_at_once_send_nothing_twice(pg_app, pg_learning):
    app = pg_app
    setup(app, pg_learning, n=40)
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                send_reminders(now=at(3))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    messages = outbox(app)
    assert len(messages) == 39 and len(set(messages)) == 39  # one per incomplete participant, no duplicates


def test_reminders_command(app, learning):
    setup(app, learning)
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--now", at(7).isoformat()])
    assert result.exit_code == 0 and "H-7=2" in result.output


def test_outbox_is_delivered_by_smtp_when_configured(app, learning):
    setup(app, learning)
    remind(app, at(7))
    with app.app_context():
        assert deliver_pending(now=at(7)) == 0  # no SMTP configured: stays in the outbox
        app.config["MAIL_SERVER"] = "smtp.example.test"
        sent = []
        with email_dispatched.connected_to(lambda sender, message: sent.append(message), app):
            assert deliver_pending(now=at(7)) == 2
        db.session.commit()
        assert {m.recipients[0] for m in sent} == {"guru1@guru.sd.belajar.id", "guru2@guru.sd.belajar.id"}
        assert "7 hari" in sent[0].subject and "Masa pembelajaran" in sent[0].body
        assert db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0
        assert deliver_pending(now=at(7)) == 0  # nothing twice
