"""``one_statement_write``: a request that writes in one atomic statement runs in autocommit when its view says so,
and only then; everything else keeps the request's transaction."""

from __future__ import annotations

from flask import request
from sqlalchemy import select, text, update

from lms.auth.models import User
from lms.core.boundary import one_statement_write
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.extensions import csrf, db
from tests.queries import in_transaction


def _app(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/_uji/ganti-nama")
    @one_statement_write(lambda: request.args.get("satu") == "1")
    def rename():
        """One conditional UPDATE; refused when it matched no row (as the journal's draft is)."""
        dbapi = db.session.connection().connection.dbapi_connection
        changed = db.session.execute(update(User).where(User.email == request.json["email"])
                                     .values(name=request.json["name"])).rowcount
        if not changed:
            raise Invalid()
        return {"in_transaction": in_transaction(dbapi)}

    csrf.exempt(rename)
    with app.app_context():
        db.session.add(User(email="satu@guru.sd.belajar.id", name="awal", created_at=now_utc()))
        db.session.commit()
    return app


def _name(app) -> str:
    with app.app_context():
        return db.session.scalar(select(User.name).where(User.email == "satu@guru.sd.belajar.id"))


def test_the_write_runs_in_autocommit_only_when_the_views_condition_holds(make_app):
    app = _app(make_app)
    client = app.test_client()
    body = {"email": "satu@guru.sd.belajar.id", "name": "otomatis"}
    assert client.post("/_uji/ganti-nama?satu=1", json=body).json == {"in_transaction": False}
    assert _name(app) == "otomatis"
    body["name"] = "transaksi"
    assert client.post("/_uji/ganti-nama", json=body).json == {"in_transaction": True}
    assert _name(app) == "transaksi"
    # The pooled connection went back to transactional mode after the autocommitted request.
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
        assert in_transaction(db.session.connection().connection.dbapi_connection)


def test_a_refusal_in_autocommit_changes_nothing(make_app):
    """The write matched no row, the view refuses: nothing was written, and nothing is left half-done."""
    app = _app(make_app)
    response = app.test_client().post("/_uji/ganti-nama?satu=1", json={"email": "tidak.ada@x.id", "name": "x"})
    assert response.status_code == 422
    assert _name(app) == "awal"


def test_a_session_already_in_a_transaction_keeps_it(make_app):
    """A test's or a command's session that began a transaction is not switched under it."""
    app = _app(make_app)
    with app.app_context():
        db.session.execute(select(User.id)).all()
        response = app.test_client().post("/_uji/ganti-nama?satu=1",
                                          json={"email": "satu@guru.sd.belajar.id", "name": "di dalam"})
        assert response.json == {"in_transaction": True}
        db.session.rollback()
