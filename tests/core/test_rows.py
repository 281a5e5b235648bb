"""ORM instances adopted from a Core row (``lms.core.rows``) behave as instances the ORM loaded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from lms.auth.models import Identity, User, UserRole
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


def _state(instance) -> tuple:
    state = instance_state(instance)
    values = {key: value for key, value in state.dict.items() if key != "_sa_instance_state"}
    return (values, dict(state.committed_state), set(state.expired_attributes), dict(state.callables),
            state.modified, state.expired, state.key, state.unloaded)


def _by_make_transient_to_detached(session, cls, values: dict):
    """The public way to the same result: an instance from the values, made detached, then added."""
    instance = inspect(cls).class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def test_adopting_leaves_the_state_make_transient_to_detached_and_add_leave_for_every_mapped_class(app):
    """``adopt`` fills a new instance's state directly (its ``__dict__``, ``key`` and ``expired_attributes``) with
    what ``make_transient_to_detached`` works out for it; this fails if that stops being the same state, or if an
    ``expire`` listener appears (it would no longer be dispatched)."""
    with app.app_context():
        for mapper in db.Model.registry.mappers:
            assert not mapper.class_manager.dispatch.expire, mapper
            keys = [prop.key for prop in mapper.column_attrs]
            pk_keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
            for selected in (keys, pk_keys):
                values = {key: 7 if key in pk_keys else f"v-{key}" for key in selected}
                with Session() as ours, Session() as theirs:
                    adopted = adopt(ours, mapper.class_, **values)
                    reference = _by_make_transient_to_detached(theirs, mapper.class_, values)
                    assert _state(adopted) == _state(reference), mapper
                    assert adopted in ours and not ours.dirty and not ours.new
                    assert ours.identity_map.get(instance_state(adopted).key) is adopted


def test_an_adopted_instance_lazy_loads_its_relationships_and_unselected_columns(app):
    user_id = _user(app)
    with app.app_context():
        db.session.add(Identity(user_id=user_id, issuer="https://accounts.google.com", subject="s-1",
                                email="guru@example.id", created_at=NOW, last_login_at=NOW))
        db.session.commit()
        db.session.remove()
        (user,) = SHAPE.adopt(db.session(), _row(user_id))
        with counted(app) as statements:
            assert user.roles == ["helpdesk"] and [i.subject for i in user.identities] == ["s-1"]
        assert len(statements) == 2  # one lazy load per relationship
        role = adopt(db.session(), UserRole, user_id=user_id, role="helpdesk")
        assert role is user.role_rows[0]  # the identity map's instance wins
        db.session.remove()
        role = adopt(db.session(), UserRole, user_id=user_id, role="helpdesk")
        with counted(app) as statements:
            assert role.granted_at == NOW  # an unselected column loads on first access
        assert len(statements) == 1
        assert not db.session.dirty


def test_an_adopted_instance_expires_and_refreshes_like_a_loaded_one(app):
    user_id = _user(app)
    with app.app_context():
        (user,) = SHAPE.adopt(db.session(), _row(user_id))
        db.session.connection().execute(User.__table__.update().where(User.id == user_id).values(name="Lain"))
        db.session.expire(user, ["name"])
        assert user.name == "Lain" and user.email == "guru@example.id"
        db.session.connection().execute(User.__table__.update().where(User.id == user_id).values(name="Lagi"))
        db.session.refresh(user)
        assert user.name == "Lagi" and not db.session.dirty
        db.session.commit()  # expires all
        (again,) = SHAPE.adopt(db.session(), _row(user_id))
        with counted(app) as statements:
            assert again is user and user.name == "Lagi"
        assert statements == []
