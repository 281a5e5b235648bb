"""One request boundary: commit on success, roll back on a refusal or an exception; a read does not write."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import bindparam, event, select, text
from sqlalchemy.orm import Session

from lms.auth.models import ApiToken, User
from lms.auth.services import authenticate_token
from lms.core import prepared
from lms.core.boundary import reads_only
from lms.core.errors import Invalid
from lms.core.prepared import Prepared
from lms.core.time import now_utc
from lms.extensions import db
from tests.learning import DURING
from tests.queries import counted, in_transaction


def _user(name: str) -> User:
    return User(email=f"{name}@guru.sd.belajar.id", name=name, created_at=now_utc())


@pytest.fixture
def boundary_app(make_app):
    app = make_app()

    @app.post("/_uji/tulis")
    def write_then_succeed():
        db.session.add(_user("berhasil"))
        db.session.flush()
        return {"ok": True}

    @app.post("/_uji/tolak")
    def write_then_refuse():
        db.session.add(_user("ditolak"))
        db.session.flush()
        raise Invalid()

    @app.post("/_uji/gagal")
    def write_then_crash():
        db.session.add(_user("gagal"))
        db.session.flush()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    from lms.extensions import csrf

    for view in (write_then_succeed, write_then_refuse, write_then_crash):
        csrf.exempt(view)
    return app


def subjects(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(User.name)))


def test_success_commits_refusal_and_exception_roll_back(boundary_app):
    client = boundary_app.test_client()
    assert client.post("/_uji/tolak", headers={"Accept": "application/json"}).status_code == 422
    assert client.post("/_uji/gagal").status_code == 500
    assert subjects(boundary_app) == []
    assert client.post("/_uji/tulis").status_code == 200
    assert subjects(boundary_app) == ["berhasil"]


def commits(app):
    seen = []
    with app.app_context():
        event.listen(db.engine, "commit", lambda conn: seen.append(1))
    return seen


def test_a_bearer_read_records_the_token_use_at_most_once_per_five_minutes(app, learning, during, frozen_clock):
    learning.participant(cohort_id=learning.cohort(curriculum_id=learning.curriculum()))
    headers = learning.headers()
    client = app.test_client()

    def last_used():  # read in a session of its own: what the request committed (its own statement, autocommit)
        with app.app_context():
            return db.session.scalar(select(ApiToken.last_used_at))

    assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    assert last_used() == DURING
    frozen_clock(DURING + timedelta(minutes=4))
    with counted(app) as statements:
        assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    assert last_used() == DURING  # no UPDATE
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    frozen_clock(DURING + timedelta(minutes=6))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == DURING + timedelta(minutes=6)


def test_read_only_requests_keep_the_connections_prepared_statements(pg_app, pg_learning, during):
    """A read-only request ends with COMMIT, not ROLLBACK: psycopg forgets the prepared statements of a connection on
    every ROLLBACK, and then PostgreSQL would plan the hot read statements afresh on every request."""
    pg_learning.participant(cohort_id=pg_learning.cohort(curriculum_id=pg_learning.curriculum()))
    headers = pg_learning.headers()
    client = pg_app.test_client()
    assert client.get("/api/v1/me/progress", headers=headers).status_code == 200  # records the token's first use
    with counted(pg_app) as statements:
        # psycopg prepares a statement from its 5th execution on a connection; the pool hands out its two connections
        # (the first request's reads and its token write took one each) in turn.
        for _ in range(12):
            assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")], statements
    with pg_app.app_context():  # every connection the pool holds (the reads ran on one of them), all at once
        engine = db.engine
        with ExitStack() as stack:
            held = [stack.enter_context(engine.connect()) for _ in range(engine.pool.checkedin())]
            prepared = [s for c in held for s in c.scalars(text("SELECT statement FROM pg_prepared_statements"))]
    assert any("FROM enrollments" in s for s in prepared), prepared
    assert any("FROM materi_progress" in s for s in prepared), prepared


def test_writes_before_a_released_savepoint_are_committed(make_app):
    """A savepoint's release fires ``after_commit``; the request's earlier writes must still be committed."""
    app = make_app()

    @app.post("/_uji/savepoint")
    def write_then_savepoint():
        db.session.add(_user("sebelum"))
        db.session.flush()
        with db.session.begin_nested():
            db.session.add(_user("di-dalam"))
            db.session.flush()
        return {"ok": True}

    app.extensions["csrf"].exempt(write_then_savepoint)
    assert app.test_client().post("/_uji/savepoint").status_code == 200
    assert sorted(subjects(app)) == ["di-dalam", "sebelum"]


def test_a_refusal_that_changed_no_row_keeps_the_prepared_statements(pg_app):
    """A 409 whose UPDATE matched no row (a full session) ends with COMMIT; one that changed a row rolls back."""
    @pg_app.post("/_uji/penuh")
    def refuse_after_nothing():
        db.session.execute(text("UPDATE users SET name = 'x' WHERE id = -1"))
        db.session.execute(select(User.id).where(User.email == "tidak@ada.id")).all()
        return {"code": "seat_full"}, 409

    @pg_app.post("/_uji/ubah-lalu-tolak")
    def refuse_after_a_change():
        db.session.add(_user("ditolak"))
        db.session.flush()
        db.session.execute(select(User.id).where(User.email == "tidak@ada.id")).all()
        return {"code": "seat_full"}, 409

    for view in (refuse_after_nothing, refuse_after_a_change):
        pg_app.extensions["csrf"].exempt(view)
    client = pg_app.test_client()
    for _ in range(8):  # psycopg prepares a statement from its 5th execution on a connection
        assert client.post("/_uji/penuh").status_code == 409
    with pg_app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("tidak@ada.id" in s or "FROM users" in s for s in prepared), prepared
    assert client.post("/_uji/ubah-lalu-tolak").status_code == 409
    assert subjects(pg_app) == []  # the refused change is gone


def test_a_refusal_keeps_the_token_use_it_recorded_unless_it_changed_something(pg_app, pg_learning, during):
    """The token's last use is bookkeeping: a refusal that changed nothing else ends with COMMIT and keeps it (a
    ROLLBACK would drop it and the connection's prepared statements); a refusal that changed something rolls both
    back."""
    @pg_app.get("/_uji/tolak")
    def refuse_without_change():
        assert authenticate_token(request.headers["X-Token"], now=now_utc()) is not None
        return {"code": "seat_full"}, 409

    @pg_app.get("/_uji/ubah-lalu-tolak")
    def refuse_after_a_change():
        assert authenticate_token(request.headers["X-Token"], now=now_utc()) is not None
        db.session.add(_user("ditolak"))
        db.session.flush()
        return {"code": "conflict"}, 409

    pg_learning.participant(cohort_id=pg_learning.cohort(curriculum_id=pg_learning.curriculum()))
    client = pg_app.test_client()

    def last_used():
        with pg_app.app_context():
            return db.session.scalar(select(ApiToken.last_used_at).order_by(ApiToken.id.desc()).limit(1))

    seen = commits(pg_app)
    assert client.get("/_uji/tolak", headers={"X-Token": pg_learning.token()}).status_code == 409
    assert last_used() == DURING and seen, "the refusal's transaction committed, with the token's use"
    assert client.get("/_uji/ubah-lalu-tolak", headers={"X-Token": pg_learning.token()}).status_code == 409
    assert last_used() is None  # a new token: its use went with the refusal's change
    assert "ditolak" not in subjects(pg_app)


def test_a_request_that_owns_its_session_commits_without_expiring_and_one_in_a_kept_session_expires(make_app):
    """Under a WSGI server each request pushes its own app context, and its session is removed right after the
    commit: expiring what it loaded would be wasted work. A session kept around the request (a test's or a
    command's app context) is still expired, so that it reads what later requests commit."""
    app = make_app()
    names = iter(f"guru{i}" for i in range(10))
    expiring = []

    @app.post("/_uji/tulis")
    def write():
        db.session.add(_user(next(names)))
        db.session.flush()
        return {"ok": True}

    @app.before_request
    def watch():
        event.listen(db.session(), "after_commit", lambda s: expiring.append(s.expire_on_commit), once=True)

    from lms.extensions import csrf

    csrf.exempt(write)
    client = app.test_client()
    assert client.post("/_uji/tulis").status_code == 200
    assert expiring == [False]  # its own app context: removed after the request, nothing expired
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.name == "guru0")).unique().first()
        assert client.post("/_uji/tulis").status_code == 200  # within this app context: this session
        assert expiring == [False, True] and session.expire_on_commit is True
        assert "name" not in user.__dict__  # expired: the next read sees what later requests commit


def test_a_reads_only_view_runs_in_autocommit_and_its_connection_goes_back_transactional(make_app):
    """GET on a ``reads_only`` view: no BEGIN, no COMMIT (each statement commits itself). Its pooled connection is
    back in transactional mode for the next request, and a view without the mark still runs in a transaction."""
    app = make_app()
    seen = []

    def look() -> dict:
        dbapi = db.session.connection().connection.dbapi_connection
        db.session.execute(select(User.id)).all()
        seen.append(id(dbapi))
        return {"in_transaction": in_transaction(dbapi)}

    @app.get("/_uji/baca")
    @reads_only
    def read():
        return look()

    @app.get("/_uji/biasa")
    def ordinary():
        return look()

    client = app.test_client()
    assert client.get("/_uji/baca").json == {"in_transaction": False}
    assert client.get("/_uji/biasa").json == {"in_transaction": True}
    assert client.get("/_uji/baca").json == {"in_transaction": False}
    assert client.get("/_uji/biasa").json == {"in_transaction": True}
    assert len(set(seen)) == 1, "one pooled connection served all four: the mode was put back on checkin"
    assert client.head("/_uji/baca").status_code == 200


def test_a_reads_only_view_in_a_session_already_in_a_transaction_keeps_it(make_app):
    """A test's or a command's session that already began a transaction is not switched under it."""
    app = make_app()

    @app.get("/_uji/baca")
    @reads_only
    def read():
        return {"in_transaction": in_transaction(db.session.connection().connection.dbapi_connection)}

    with app.app_context():
        db.session.execute(select(User.id)).all()
        assert app.test_client().get("/_uji/baca").json == {"in_transaction": True}


@pytest.mark.postgres
def test_the_progress_read_sends_no_begin_or_commit(pg_app, pg_learning, during):
    """The hot reads are marked (the mark survives the API's decorators): every statement of the progress read runs
    outside a transaction block, and the token's first use (bookkeeping) is committed by its own statement."""
    pg_learning.participant(cohort_id=pg_learning.cohort(curriculum_id=pg_learning.curriculum()))
    headers = pg_learning.headers()
    for endpoint in ("api.get_progress", "api.get_me", "dashboard.index", "core.healthz"):
        assert getattr(pg_app.view_functions[endpoint], "lms_reads_only", False), endpoint
    assert not getattr(pg_app.view_functions["api.complete_materi"], "lms_reads_only", False)
    states = []
    with pg_app.app_context():
        event.listen(db.engine, "after_cursor_execute",
                     lambda conn, cursor, *args: states.append(in_transaction(conn.connection.dbapi_connection)))
    client = pg_app.test_client()
    assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    assert len(states) >= 4 and not any(states), states  # token, its use, enrollment, own rows
    with pg_app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at).order_by(ApiToken.id.desc()).limit(1)) == DURING


def test_a_request_that_never_used_the_database_makes_no_session(make_app, monkeypatch):
    """The boundary does not make a session to find nothing in it (static files, redirects, the metrics page)."""
    app = make_app()

    @app.get("/_uji/tanpa-basis-data")
    def no_database():
        return {"ok": True}

    made = []
    with app.app_context():
        real = db.session.registry.createfunc
        monkeypatch.setattr(db.session.registry, "createfunc", lambda: made.append(1) or real())
    assert app.test_client().get("/_uji/tanpa-basis-data").status_code == 200
    assert made == []
    assert app.test_client().get("/healthz").status_code == 200
    assert made == [1]


def test_a_reads_only_views_prepared_statements_run_outside_the_session_until_it_takes_a_connection(make_app):
    """A reads-only request's prepared statements run on one connection of their own, in autocommit, checked out
    once and back in the pool (transactional again) when the request ends, the view's exception included: the
    session's transaction takes no connection for them. Once something does begin the session's own transaction
    (a lazy load, a token's last use), the prepared statements follow it there."""
    app = make_app()
    ids = Prepared(select(User.id).where(User.id > bindparam("after")))
    seen = {}

    def connection_of_the_reads():
        ids.rows(db.session(), {"after": 0})
        return db.session.info["lms_read_connection"].connection.dbapi_connection

    @app.get("/_uji/siapkan")
    @reads_only
    def prepared_reads():
        first, second = connection_of_the_reads(), connection_of_the_reads()
        seen["reads"] = (first, second)
        session_connection = db.session.connection().connection.dbapi_connection  # the session's own transaction
        ids.rows(db.session(), {"after": 0})
        seen["after_begin"] = (session_connection, db.session.info["lms_connection"].connection.dbapi_connection)
        return {"reads_in_transaction": in_transaction(first), "same": first is second}

    @app.get("/_uji/siapkan-gagal")
    @reads_only
    def prepared_then_crash():
        seen["crash"] = connection_of_the_reads()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    begun = []

    def count_begins(session, transaction, connection):
        begun.append(1)

    event.listen(Session, "after_begin", count_begins)
    try:
        with app.app_context():
            pool = db.engine.pool
        client = app.test_client()
        assert client.get("/_uji/siapkan").json == {"reads_in_transaction": False, "same": True}
        assert begun == [1], "the session took a connection only when asked for its own"
        session_connection, used_after = seen["after_begin"]
        assert used_after is session_connection
        assert seen["reads"][0] is not session_connection
        assert pool.checkedout() == 0
        assert _handed_out_transactional(app, seen["reads"][0])
        assert client.get("/_uji/siapkan-gagal").status_code == 500
        assert pool.checkedout() == 0 and _handed_out_transactional(app, seen["crash"])
    finally:
        event.remove(Session, "after_begin", count_begins)


def _handed_out_transactional(app, dbapi_connection) -> bool:
    """Whether the pool hands ``dbapi_connection`` (which reads left in autocommit) out transactional to a taker that
    is not reading: every connection it holds is taken at once, as an ordinary checkout."""
    with app.app_context():
        engine = db.engine
    with ExitStack() as stack:
        held = [stack.enter_context(engine.connect()).connection.dbapi_connection
                for _ in range(engine.pool.checkedin())]
        assert any(c is dbapi_connection for c in held)
        return all(c.isolation_level is not None if hasattr(c, "in_transaction") else not c.autocommit
                   for c in held)


def test_a_pooled_connection_switches_mode_only_when_its_taker_needs_the_other(make_app, monkeypatch):
    """Reads leave their connection in autocommit in the pool: the next read takes it as it is, and the next ordinary
    taker gets it back in the default mode (one switch each way, not two per read)."""
    app = make_app()
    ids = Prepared(select(User.id))

    @app.get("/_uji/baca-siap")
    @reads_only
    def read():
        return {"rows": len(ids.rows(db.session(), {}))}

    @app.get("/_uji/biasa-siap")
    def ordinary():
        db.session.execute(select(User.id)).all()
        return {"in_transaction": in_transaction(db.session.connection().connection.dbapi_connection)}

    switches = []
    switch = prepared._switch
    monkeypatch.setattr(prepared, "_switch", lambda dialect, dbapi, *, autocommit: switches.append(
        "AUTOCOMMIT" if autocommit else "default") or switch(dialect, dbapi, autocommit=autocommit))
    client = app.test_client()
    for _ in range(3):
        assert client.get("/_uji/baca-siap").status_code == 200
    assert switches == ["AUTOCOMMIT"]
    assert client.get("/_uji/biasa-siap").json == {"in_transaction": True}
    assert switches == ["AUTOCOMMIT", "default"]
    assert client.get("/_uji/baca-siap").status_code == 200
    assert switches == ["AUTOCOMMIT", "default", "AUTOCOMMIT"]
