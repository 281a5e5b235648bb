"""Idempotency keys on their own: run once, replay, expiry and the periodic purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.celery_init import BEAT_SCHEDULE
from lms.core import idempotency
from lms.core.idempotency import Answer, IdempotencyKey
from lms.core.tasks import purge_idempotency_keys
from lms.extensions import db

T0 = datetime(2026, 11, 20, 3, tzinfo=UTC)


@pytest.fixture
def user_id(app):
    with app.app_context():
        user = User(email="kunci@guru.sd.belajar.id", name="Kunci", created_at=T0, active=True)
        db.session.add(user)
        db.session.commit()
        return user.id


def run(user_id, key, payload, now, calls):
    def action():
        calls.append(payload)
        return Answer(201, {"n": len(calls)})

    answer, replayed = idempotency.run_once(user_id, key, scope="test.op", payload=payload, now=now, action=action)
    db.session.commit()
    return answer, replayed


def test_run_once_replays_until_the_key_expires(app, user_id):
    calls: list = []
    with app.app_context():
        assert run(user_id, "k", {"a": 1}, T0, calls) == (Answer(201, {"n": 1}), False)
        assert run(user_id, "k", {"a": 1}, T0 + timedelta(hours=23, minutes=59), calls) == (Answer(201, {"n": 1}), True)
        with pytest.raises(idempotency.KeyReused):
            run(user_id, "k", {"a": 2}, T0, calls)
        db.session.rollback()
        assert run(user_id, None, {"a": 1}, T0, calls) == (Answer(201, {"n": 2}), False)  # no key: no memory
        assert run(user_id, "k", {"a": 1}, T0 + timedelta(hours=24), calls) == (Answer(201, {"n": 3}), False)
        assert len(calls) == 3


def test_the_periodic_task_purges_expired_keys_only(app, user_id, frozen_clock):
    with app.app_context():
        for key, age in (("lama", timedelta(hours=24)), ("baru", timedelta(hours=23))):
            db.session.add(IdempotencyKey(user_id=user_id, key=key, scope="test.op", fingerprint="f", status=201,
                                          response={}, created_at=T0 - age))
        db.session.commit()
    frozen_clock(T0)
    with app.app_context():
        assert purge_idempotency_keys.run() == 1
        assert db.session.scalars(select(IdempotencyKey.key)).all() == ["baru"]
    assert BEAT_SCHEDULE["core-purge-idempotency-keys"]["task"] == purge_idempotency_keys.name
