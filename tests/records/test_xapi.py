"""xAPI statements: written with their events, shaped as the profile says, delivered with backoff, idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from lms.auth.models import Identity, User
from lms.extensions import db
from lms.records import outbox
from lms.records.models import XapiStatement
from tests.learning import DURING, ApiParticipant, Learning, log_in
from tests.records.journey import EXPECTED, finish_module, grant, kinds, register_and_cancel

ENDPOINT = "http://lrs.test/xAPI"
ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def xapi_app(make_app):
    return make_app(base_url="https://lms.test", env={"LMS_XAPI_ENDPOINT": ENDPOINT, "LMS_XAPI_USERNAME": "lms",
                                                      "LMS_XAPI_PASSWORD": "rahasia", "LMS_XAPI_MAX_ATTEMPTS": "3"})


def journey(app) -> ApiParticipant:
    teacher = ApiParticipant(app, Learning(app))
    finish_module(teacher, 0)
    finish_module(teacher, 1)
    register_and_cancel(app, teacher)
    return teacher


def statements(app) -> list[dict]:
    with app.app_context():
        return [row.statement for row in db.session.scalars(select(XapiStatement).order_by(XapiStatement.id))]


class FakeLrs:
    def __init__(self):
        self.status, self.received, self.held = 200, [], set()

    def __call__(self, batch):
        self.received.append([s["id"] for s in batch])
        status = self.status
        if status == 200 and any(s["id"] in self.held for s in batch):
            status = 409
        if status == 200:
            self.held.update(s["id"] for s in batch)
        return type("Answer", (), {"status_code": status, "text": "fake"})()


@pytest.fixture
def lrs(monkeypatch):
    fake = FakeLrs()
    monkeypatch.setattr(outbox, "_post", fake)
    return fake


def test_a_journey_writes_the_expected_statements(xapi_app, during):
    journey(xapi_app)
    written = statements(xapi_app)
    assert kinds(written) == EXPECTED
    registrations = {s["context"]["registration"] for s in written}
    assert len(registrations) == 1  # one registration UUID per enrollment
    for s in written:
        assert s["verb"]["id"].startswith(ADL)
        assert s["object"]["id"].startswith("https://lms.test/xapi/activities/")
        assert set(s["actor"]) == {"objectType", "account"} and "@" not in s["actor"]["account"]["name"]
        assert s["context"]["extensions"]["https://lms.test/xapi/extensions/cohort"] == "UJI-1"
        assert s["context"]["contextActivities"]["grouping"][0]["id"] == "https://lms.test/xapi/activities/cohort/UJI-1"
    materi = next(s for s in written if s["object"]["definition"]["type"].endswith("/lesson"))
    assert materi["object"]["id"] == "https://lms.test/xapi/activities/curriculum/KUR-TEST/module/M1/materi/1"
    assert materi["context"]["contextActivities"]["parent"][0]["id"] == \
        "https://lms.test/xapi/activities/curriculum/KUR-TEST/module/M1"
    attempt = next(s for s in written if s["verb"]["id"] == ADL + "attempted")
    assert set(attempt["result"]) == {"score"} and "success" not in attempt["result"]
    assert attempt["result"]["score"]["max"] == 2


def test_the_actor_is_the_oidc_account(xapi_app, during):
    teacher = ApiParticipant(xapi_app, Learning(xapi_app))
    with xapi_app.app_context():
        user = db.session.scalar(select(User).where(User.email == teacher.email))
        db.session.add(Identity(user_id=user.id, issuer="https://accounts.google.com", subject="1076915035000615071",
                                email=user.email, created_at=DURING, last_login_at=DURING))
        db.session.commit()
    teacher.finish_materi(0)
    actor = statements(xapi_app)[0]["actor"]
    assert actor == {"objectType": "Agent", "account": {"homePage": "https://accounts.google.com",
                                                        "name": "1076915035000615071"}}


def test_off_without_an_endpoint(app, during):
    journey(app)
    assert statements(app) == []
    with app.app_context():
        assert outbox.deliver_pending(now=DURING) == 0


def test_delivery_backoff_dead_letter_and_retry(xapi_app, during, lrs):
    teacher = ApiParticipant(xapi_app, Learning(xapi_app))
    teacher.finish_materi(0)  # two materi statements
    lrs.status = 503
    with xapi_app.app_context():
        assert outbox.deliver_pending(now=DURING) == 0
        row = db.session.scalars(select(XapiStatement)).first()
        assert row.attempts == 1 and row.next_attempt_at == DURING + timedelta(seconds=30) and "503" in row.error
        assert outbox.deliver_pending(now=DURING + timedelta(seconds=10)) == 0  # backing off: nothing sent
        assert len(lrs.received) == 1
        assert outbox.deliver_pending(now=DURING + timedelta(seconds=30)) == 0  # 2nd attempt, waits 60 s
        assert outbox.deliver_pending(now=DURING + timedelta(seconds=90)) == 0  # 3rd: dead letter
        assert outbox.counts() == {"sent": 0, "pending": 0, "dead": 2}
        assert outbox.deliver_pending(now=DURING + timedelta(days=1)) == 0
        assert len(lrs.received) == 3
    admin = Learning(xapi_app)
    grant(xapi_app, "admin@belajar.id", "admin_angkatan")
    headers = admin.headers("admin@belajar.id")
    listed = xapi_app.test_client().get("/api/v1/xapi/dead-letters", headers=headers).get_json()
    assert listed["counts"]["dead"] == 2 and listed["statements"][0]["attempts"] == 3
    assert xapi_app.test_client().get("/api/v1/xapi/dead-letters", headers=teacher.headers).status_code == 403
    page = log_in(xapi_app, "admin@belajar.id").get("/admin/xapi")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<code>materi:") == 2
    assert log_in(xapi_app, teacher.email).get("/admin/xapi").status_code == 403
    response = xapi_app.test_client().post("/api/v1/xapi/dead-letters/retry", headers=headers, json={})
    assert response.get_json() == {"queued": 2}
    lrs.status = 200
    with xapi_app.app_context():
        assert outbox.deliver_pending(now=DURING + timedelta(days=1)) == 2
        assert outbox.counts() == {"sent": 2, "pending": 0, "dead": 0}


def test_forced_redelivery_counts_a_409_as_delivered(xapi_app, during, lrs):
    journey(xapi_app)
    with xapi_app.app_context():
        total = outbox.counts()["pending"]
        assert outbox.deliver_pending(now=DURING) == total
        assert outbox.retry(now=DURING, resend_sent=True) == total
        db.session.commit()
        assert outbox.deliver_pending(now=DURING) == total  # every one answered 409: already held
        assert outbox.counts() == {"sent": total, "pending": 0, "dead": 0}
    assert len(lrs.held) == total


def test_backfill_is_idempotent_and_gives_the_same_ids(xapi_app, during):
    journey(xapi_app)
    before = {s["id"]: s for s in statements(xapi_app)}
    with xapi_app.app_context():
        db.session.execute(delete(XapiStatement))
        db.session.commit()
    runner = xapi_app.test_cli_runner()
    result = runner.invoke(args=["xapi", "backfill", "--cohort", "UJI-1"])
    assert result.exit_code == 0 and f"{len(before)} new" in result.output, result.output
    after = {s["id"]: s for s in statements(xapi_app)}
    assert set(after) == set(before)
    assert kinds(list(after.values())) == EXPECTED
    again = runner.invoke(args=["xapi", "backfill", "--cohort", "UJI-1"])
    assert "0 new" in again.output
