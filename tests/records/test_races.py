"""Several workers deliver xAPI statements at the same moment: each statement is sent once (PostgreSQL)."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter

import pytest

from lms.records import outbox
from tests.learning import DURING, ApiParticipant, Learning
from tests.records.journey import finish_module

pytestmark = pytest.mark.postgres
WORKERS = 4


@pytest.mark.parametrize("backend", ["postgresql"])
def test_concurrent_workers_send_each_statement_once(make_app, during, monkeypatch, backend):
    app = make_app(base_url="https://lms.test", env={"LMS_XAPI_ENDPOINT": "http://lrs.test/xAPI"})
    teacher = ApiParticipant(app, Learning(app))
    finish_module(teacher, 0)
    finish_module(teacher, 1)  # 11 statements
    received: Counter = Counter()
    lock = threading.Lock()
    sending = threading.Barrier(WORKERS, timeout=2)

    def post(batch):
        with lock:
            received.update(s["id"] for s in batch)
        with contextlib.suppress(threading.BrokenBarrierError):
            sending.wait()  # every worker holds its claimed batch at once
        return type("Answer", (), {"status_code": 200, "text": ""})()

    monkeypatch.setattr(outbox, "_post", post)
    start = threading.Barrier(WORKERS)
    delivered = []

    def worker():
        with app.app_context():
            start.wait()
            delivered.append(outbox.deliver_pending(now=DURING, batch=3))

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        counts = outbox.counts()
    assert counts == {"sent": 11, "pending": 0, "dead": 0}
    assert sum(delivered) == 11 and len(received) == 11 and set(received.values()) == {1}
