"""ORM instances adopted from a Core row (``lms.core.rows``) behave as instances the ORM loaded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.models import User, UserRole
from lms.core.rows import RowShape, adopt
from lms.extensions import db
from tests.queries import counted

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SHAPE = RowShape(User)


def _user(app, email="guru@example.id", name="Guru") -> int:
    with app.app_context():
        user = User(email=email, name=name, created_at=NOW)
        db.session.add(user)
        db.session.flush()
        db.session.add(UserRole(user_id=user.id, role="helpdesk", granted_at=NOW))
        db.session.commit()
        return user.id


def _row(user_id: int):
    return db.session.connection().execute(select(*SHAPE.columns()).where(User.id == user_id)).one()


def test_an_adopted_instance_is_persistent_reads_without_sql_and_flushes_only_its_change(app):
    user_id = _user(app)
    with app.app_context():
        row = _row(user_id)
        with counted(app) as statements:
            (user,) = SHAPE.adopt(db.session(), row)
            set_committed_value(user, "role_rows", [adopt(db.session(), UserRole, user_id=user_id, role="helpdesk")])
            assert (user.email, user.name, user.roles, user.active) == ("guru@example.id", "Guru", ["helpdesk"], True)
            assert db.session.get(User, user_id) is user  # in the identity map
        assert statements == []
        assert not db.session.dirty
        user.name = "Guru Baru"
        with counted(app) as statements:
            db.session.commit()
        [update] = [s for s in statements if s.startswith("UPDATE")]
        assert "name" in update and "email" not in update
        db.session.remove()
        assert db.session.get(User, user_id).name == "Guru Baru"


def test_an_instance_already_in_the_session_wins_and_only_its_expired_columns_are_filled(app):
    user_id = _user(app)
    with app.app_context():
        loaded = db.session.get(User, user_id)
        loaded.name = "belum disimpan"
        row = _row(user_id)
        (user,) = SHAPE.adopt(db.session(), row)
        assert user is loaded and user.name == "belum disimpan"  # a pending change is not overwritten
        db.session.rollback()  # expires everything
        row = _row(user_id)
        with counted(app) as statements:
            (user,) = SHAPE.adopt(db.session(), row)
            assert user is loaded and user.name == "Guru"
        assert statements == []  # the expired columns came from the row, not from a refresh


def test_refresh_takes_the_returned_values_as_populate_existing_would(app):
    user_id = _user(app)
    with app.app_context():
        loaded = db.session.get(User, user_id)
        db.session.connection().execute(User.__table__.update().where(User.id == user_id).values(name="Lain"))
        (user,) = SHAPE.adopt(db.session(), _row(user_id))
        assert user is loaded and user.name == "Guru"  # without refresh, the loaded state stands
        (user,) = SHAPE.adopt(db.session(), _row(user_id), refresh=True)
        assert user.name == "Lain" and not db.session.dirty


def test_an_absent_outer_joined_entity_is_none(app):
    with app.app_context():
        assert SHAPE.adopt(db.session(), [None] * SHAPE.width) == [None]


def test_two_shapes_selected_side_by_side_keep_their_labels_apart(app):
    user_id = _user(app)
    with app.app_context():
        statement = select(*SHAPE.columns(), *SHAPE.columns(prefix="o")).where(User.id == user_id)
        assert [c.name for c in statement.selected_columns][SHAPE.width] == "o0_id"
        row = db.session.connection().execute(statement).one()
        assert len(row) == 2 * SHAPE.width
        (user,) = SHAPE.adopt(db.session(), row[SHAPE.width:])
        assert user.email == "guru@example.id"
