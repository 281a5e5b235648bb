"""A real worker killed (SIGKILL) while it sends reminders: after a restart every due reminder has been delivered,
none twice except the one message that was in flight (at least once for that one).

SMTP is a small server in this test that holds its reply to one chosen message; the test kills the worker while
that reply is pending, so the moment of the crash is controlled, not timed.
"""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import threading
from collections import Counter
from datetime import timedelta

import pytest
import redis
from celery import Celery
from sqlalchemy import select, update

from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.cohorts.test_reminders import at, remind, setup
from tests.conftest import REDIS_URL, service_unavailable
from tests.core.processes import LMS, lms_env, stop, wait_until

#: A Redis database of its own, so that other tests flushing theirs do not drop this test's tasks.
BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/12"


class FakeSmtp(socketserver.ThreadingTCPServer):
    """Accepts every message and records its recipients; the first message to ``hold`` gets no reply."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hold: str):
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.hold = hold
        self.received: list[str] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()


class SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: FakeSmtp = self.server
        self.reply("220 test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-test\r\n250 8BITMIME")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.partition(":")[2].strip().strip("<>").lower())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                while self.rfile.readline() not in (b".\r\n", b".\n", b""):
                    pass
                with server.lock:
                    server.received.extend(recipients)
                    hold = server.hold in recipients and not server.holding.is_set()
                    if hold:
                        server.holding.set()
                if hold:
                    server.release.wait(60)  # the worker is killed meanwhile; no reply ever reaches it
                    return
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def start_worker(env: dict, log) -> subprocess.Popen:
    """`lms worker` in a process group of its own, so that SIGKILL reaches the pool's child too."""
    handle = open(log, "w")  # noqa: SIM115 - closed by stop() or kill()
    proc = subprocess.Popen([LMS, "worker", "--concurrency", "1", "--no-beat"], env=env, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_handle = handle
    return proc


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)
    proc.log_handle.close()


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_killed_mid_batch_resends_at_most_the_message_in_flight(pg_app, pg_learning, tmp_path):
    try:
        redis.Redis.from_url(BROKER_URL).flushdb()
    except redis.RedisError as exc:
        service_unavailable("Redis", exc)
    app = pg_app
    setup(app, pg_learning, n=9)
    assert remind(app, at(7))["H-7"] == 8
    with app.app_context():
        emails = list(db.session.scalars(select(OutboxMessage.to_email).order_by(OutboxMessage.id)))
    in_flight = emails[3]
    smtp = FakeSmtp(hold=in_flight)
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    env = lms_env(tmp_path / "instance", LMS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                  LMS_BROKER_URL=BROKER_URL, LMS_MAIL_SERVER="127.0.0.1", LMS_MAIL_PORT=str(smtp.server_address[1]),
                  LMS_MAIL_USE_TLS="0")
    client = Celery(broker=BROKER_URL)

    def outbox() -> dict[str, tuple[bool, bool]]:
        with app.app_context():
            try:
                return {m.to_email: (m.sent_at is not None, m.claimed_at is not None)
                        for m in db.session.scalars(select(OutboxMessage))}
            finally:
                db.session.remove()

    first_log, second_log = tmp_path / "worker1.log", tmp_path / "worker2.log"
    worker = start_worker(env, first_log)
    try:
        client.send_task("notifications.deliver_outbox")
        wait_until(smtp.holding.is_set, what="the held message", timeout=25, proc=worker, log=first_log,
                   event=smtp.holding)
    finally:
        kill(worker)
    with smtp.lock:
        assert smtp.received == emails[:4]
    state = outbox()
    assert [state[e] for e in emails] == [(True, True)] * 3 + [(False, True)] + [(False, False)] * 4

    # Time passes beyond the lease the dead worker held (the clock moves; nothing sleeps).
    with app.app_context():
        held = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == in_flight))
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == held.id).values(
            claimed_at=held.claimed_at - timedelta(seconds=app.config["OUTBOX_CLAIM_TIMEOUT"] + 60)))
        db.session.commit()
        db.session.remove()

    worker = start_worker(env, second_log)
    try:
        client.send_task("notifications.deliver_outbox")
        wait_until(lambda: all(sent for sent, _ in outbox().values()), what="every reminder delivered",
                   timeout=25, proc=worker, log=second_log)
    finally:
        stop(worker)
        smtp.release.set()
        smtp.shutdown()
        smtp.server_close()
    with smtp.lock:
        delivered = Counter(smtp.received)
    assert set(delivered) == set(emails)
    assert {email: n for email, n in delivered.items() if n > 1} == {in_flight: 2}
