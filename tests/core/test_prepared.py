"""Statements run on the driver's cursor (``lms.core.prepared``) answer exactly what ``execute`` answers, in the
request's transaction, seen by the engine's cursor events, with driver errors wrapped as SQLAlchemy wraps them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Integer, bindparam, cast, exc, literal, or_, select

from lms.auth.models import User
from lms.core.prepared import Prepared
from lms.extensions import db
from tests.queries import counted

NOW = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)

#: A timestamp (UTCDateTime: an aware datetime on SQLite too), a boolean, a bind used twice, and a LIMIT.
USERS = (select(User.id, User.email, User.created_at, User.active)
         .where(or_(User.email == bindparam("email"), User.name == bindparam("email")))
         .order_by(User.id).limit(2))


def _users(n: int) -> None:
    for i in range(n):
        db.session.add(User(email=f"guru{i}@example.id", name="Guru" if i else "guru0@example.id", created_at=NOW))
    db.session.flush()


def test_rows_are_those_execute_gives_with_the_statement_s_own_values_and_processors(app):
    with app.app_context():
        _users(4)
        expected = [tuple(row) for row in db.session.execute(USERS, {"email": "guru0@example.id"})]
        rows = [tuple(row) for row in Prepared(USERS).rows(db.session(), {"email": "guru0@example.id"})]
        assert rows == expected
        assert len(rows) == 1 and rows[0][2] == NOW and rows[0][2].tzinfo is not None and rows[0][3] is True
        assert Prepared(USERS).first(db.session(), {"email": "nobody@example.id"}) is None


def test_the_limit_bound_in_the_statement_applies(app):
    statement = select(User.id).where(User.name == bindparam("name")).order_by(User.id).limit(2)
    with app.app_context():
        _users(5)
        assert len(Prepared(statement).rows(db.session(), {"name": "Guru"})) == 2


def test_pending_changes_are_flushed_and_the_statement_is_seen_by_cursor_events(app):
    prepared = Prepared(USERS)
    with app.app_context():
        db.session.add(User(email="baru@example.id", name="Baru", created_at=NOW))  # not flushed yet
        with counted(app) as statements:
            rows = prepared.rows(db.session(), {"email": "baru@example.id"})
        assert [row[1] for row in rows] == ["baru@example.id"]
        assert sum("FROM users" in s for s in statements) == 1
        db.session.rollback()  # the same transaction: the flushed row goes with it
        assert prepared.rows(db.session(), {"email": "baru@example.id"}) == []


def test_an_expanding_in_is_refused_when_compiled(app):
    prepared = Prepared(select(User.id).where(User.id.in_(bindparam("ids", expanding=True))))
    with app.app_context(), pytest.raises(ValueError):
        prepared.rows(db.session(), {"ids": [1, 2]})


@pytest.mark.postgres
def test_a_driver_error_is_wrapped_as_sqlalchemy_wraps_it(pg_app):
    prepared = Prepared(select(cast(literal("bukan angka"), Integer)))
    with pg_app.app_context():
        with pytest.raises(exc.DBAPIError) as raised:
            prepared.rows(db.session(), {})
        assert "bukan angka" in str(raised.value)
        db.session.rollback()
        assert db.session.execute(select(literal(1))).scalar() == 1  # the session goes on after the rollback


def test_the_connection_is_kept_for_the_transaction_and_renewed_after_it(app):
    from lms.core.prepared import flushed_connection

    with app.app_context():
        session = db.session()
        first = flushed_connection(session)
        assert flushed_connection(session) is first is session.connection()
        with session.begin_nested():  # a savepoint runs on the same connection
            assert flushed_connection(session) is first
        session.commit()
        second = flushed_connection(session)
        assert second is not first and second is session.connection() and not second.closed
        session.rollback()
        third = flushed_connection(session)
        assert third is not second and third is session.connection()
        assert Prepared(USERS).rows(session, {"email": "nobody@example.id"}) == []
        session.close()
        assert flushed_connection(session) is session.connection()
