""""Berisiko": behind the window by more than 30 points or idle for 7 days; filterable, as CSV, and reminded
through the outbox at most once per day per participant, even with two clicks at once."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.admin import risk
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.core.audit import AuditEvent
from lms.curriculum.models import Materi
from lms.extensions import db
from lms.modules.models import MateriProgress
from lms.notifications.models import OutboxMessage
from lms.progress.rebuild import rebuild
from tests.admin.test_views import admin, html  # noqa: F401 - the fixture
from tests.queries import counted

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # the frozen clock: about 71% of the November window elapsed
AHEAD, BEHIND, FAR = "guru.maju@guru.sd.belajar.id", "guru.lambat@guru.sd.belajar.id", "guru.jauh@guru.sd.belajar.id"


def setup(app, learning):
    cohort = learning.cohort()
    ahead = learning.participant(AHEAD, cohort_id=cohort, kode_kabkota="7371")
    behind = learning.participant(BEHIND, cohort_id=cohort, kode_kabkota="7371")
    far = learning.participant(FAR, cohort_id=cohort, kode_kabkota="3171")
    with app.app_context():
        db.session.execute(Enrollment.__table__.update().values(status="aktif"))
        for materi_id in db.session.scalars(select(Materi.id)):  # 4 of 8 parts: 50%, 21 points behind
            db.session.add(MateriProgress(enrollment_id=ahead, materi_id=materi_id,
                                          done_at=NOW - timedelta(days=1)))
        rebuild()  # rows written directly, not through the services: the read model is recomputed
        db.session.commit()
    return cohort, ahead, behind, far


def listed(app, cohort_id, now=NOW, **filters) -> list[str]:
    with app.app_context():
        page = risk.at_risk_page(db.session.get(Cohort, cohort_id), now=now, page=1, **filters)
        return [row["email"] for row in page.rows]


def outbox(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.enrollment_id).where(OutboxMessage.kind == "at_risk")))


def test_the_rule_behind_or_idle(app, learning):
    cohort, *_ = setup(app, learning)
    assert listed(app, cohort) == [FAR, BEHIND]
    assert listed(app, cohort, region="73") == [BEHIND]
    # Before 7 days, 0% done trails 23% elapsed by less than 30 points; at 7 days without activity, at risk.
    assert listed(app, cohort, now=datetime(2026, 11, 7, 16, 59, tzinfo=UTC)) == []
    assert listed(app, cohort, now=datetime(2026, 11, 7, 17, 0, tzinfo=UTC)) == [FAR, BEHIND]
    # 50% done: at risk once more than 80% of the window has elapsed (24 of 30 days, WIB).
    assert AHEAD not in listed(app, cohort, now=datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    assert AHEAD in listed(app, cohort, now=datetime(2026, 11, 24, 17, 30, tzinfo=UTC))


def test_page_csv_and_one_reminder_per_day(app, admin, learning, frozen_clock):  # noqa: F811
    cohort, ahead, behind, far = setup(app, learning)
    page = html(admin.get("/admin/cohorts/UJI-1/berisiko?wilayah=73"))
    assert page.count('data-testid="at-risk-row"') == 1 and BEHIND in page and 'class="table cards"' in page
    assert 'name="csrf_token"' in page and f'name="ids" value="{behind}"' in page
    csv = html(admin.get("/admin/cohorts/UJI-1/berisiko?format=csv"))
    assert csv.splitlines()[0].startswith("email,") and BEHIND in csv and FAR in csv and AHEAD not in csv

    sent = admin.post("/admin/cohorts/UJI-1/berisiko/ingatkan", data={"ids": [behind, far]})
    assert sent.status_code == 302 and sorted(outbox(app)) == sorted([behind, far])
    admin.post("/admin/cohorts/UJI-1/berisiko/ingatkan", data={"ids": [behind, far]})
    assert len(outbox(app)) == 2  # once per day
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "enrollment.remind_at_risk")) == 2
    assert "sudah diingatkan hari ini" in html(admin.get(sent.headers["Location"]))
    assert admin.post("/admin/cohorts/UJI-1/berisiko/ingatkan", data={}).status_code == 302
    frozen_clock(NOW + timedelta(days=1))
    admin.post("/admin/cohorts/UJI-1/berisiko/ingatkan", data={"ids": [behind]})
    assert sorted(outbox(app)) == sorted([behind, behind, far])


def test_a_typed_page_equals_the_page_reached_by_cursors(app, learning):
    """Page N typed (OFFSET, with the total in the same statement) lists the rows the pager's cursors reach,
    with the same total; past the end it is empty and still counts."""
    cohort_id, *_ = setup(app, learning)
    for n in range(7):
        learning.participant(f"guru.idle{n}@guru.sd.belajar.id", cohort_id=cohort_id, kode_kabkota="7371")
    with app.app_context():
        db.session.execute(Enrollment.__table__.update().values(status="aktif"))
        rebuild()
        db.session.commit()
        cohort = db.session.get(Cohort, cohort_id)
        by_cursor, after = [], None
        while True:
            page = risk.at_risk_page(cohort, now=NOW, page=len(by_cursor) + 1, per_page=2, after=after)
            by_cursor.append([row["email"] for row in page.rows])
            if not page.has_next:
                break
            after = page.rows[-1]["id"]
        assert page.total == 9 and len(by_cursor) == 5
        with counted(app) as statements:
            typed = [risk.at_risk_page(cohort, now=NOW, page=n, per_page=2) for n in range(1, 6)]
        assert [[row["email"] for row in p.rows] for p in typed] == by_cursor
        assert {p.total for p in typed} == {9}
        # The curriculum's size (2 statements) and the rows; page 1 (the cheap first rows) counts apart.
        assert len(statements) == (2 + 1 + 2 + 1) + 4 * (2 + 1), statements
        past = risk.at_risk_page(cohort, now=NOW, page=7, per_page=2)
        assert past.rows == [] and past.total == 9


def test_the_csv_is_streamed_in_batches_and_spreadsheet_safe(app, admin, learning, monkeypatch):  # noqa: F811
    """The export reads the at-risk rows a batch at a time by e-mail (a statement per batch: its memory is one
    batch), like the participant CSV, and a name that a spreadsheet would run as a formula is made text."""
    cohort, ahead, behind, far = setup(app, learning)
    with app.app_context():
        db.session.execute(User.__table__.update().where(User.email == FAR).values(name="=HYPERLINK(1)"))
        db.session.commit()
    monkeypatch.setattr(risk, "CSV_BATCH", 1)
    with counted(app) as statements:
        answer = admin.get("/admin/cohorts/UJI-1/berisiko?format=csv")
        assert answer.is_streamed and answer.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == list(risk.CSV_COLUMNS)
    assert [r[0] for r in rows[1:]] == [FAR, BEHIND] and rows[1][1] == "'=HYPERLINK(1)"
    # Two rows, one per batch: a third statement finds none left.
    assert sum("ORDER BY users.email" in s for s in statements) == 3, statements


@pytest.mark.postgres
def test_two_clicks_at_once_remind_once(pg_app, pg_learning):
    app = pg_app
    cohort_id, *ids = setup(app, pg_learning)
    barrier = threading.Barrier(2)
    errors, results = [], []

    def click():
        with app.app_context():
            try:
                cohort = db.session.get(Cohort, cohort_id)
                barrier.wait()
                results.append(risk.remind(cohort, ids, now=NOW, actor_id=None))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(outbox(app)) == sorted(ids) and sum(queued for queued, _ in results) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
