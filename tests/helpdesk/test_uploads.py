"""A ticket whose creation fails after its screenshot was written leaves no file behind (page and API)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from lms.auth.models import User
from lms.core.time import now_utc
from lms.extensions import db
from lms.helpdesk import services
from lms.helpdesk.uploads import PENDING_PREFIX
from tests.helpdesk.helpers import PNG, TEACHER_A, files_in, form, ticket_count, upload
from tests.learning import log_in


@contextmanager
def failing_database(app, uploads: Path, where: str):
    """Once the ticket row was sent, the database fails: on the next INSERT (a flush) or on the commit.
    Records which files existed at that moment, to show that the screenshot had been written."""
    seen: dict = {"ticket_sent": False, "files_at_failure": None}

    def fail():
        seen["files_at_failure"] = files_in(uploads)
        raise OperationalError("simulated", {}, Exception("database unavailable"))

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO tickets"):
            seen["ticket_sent"] = True
        elif where == "flush" and seen["ticket_sent"] and statement.startswith("INSERT INTO audit_events"):
            fail()

    with app.app_context():
        engine = db.engine
    do_commit = engine.dialect.do_commit

    def commit_or_fail(dbapi_connection):
        if where == "commit" and seen["ticket_sent"]:
            dbapi_connection.rollback()  # as a server does when a commit fails: the transaction is gone
            fail()
        do_commit(dbapi_connection)

    event.listen(engine, "before_cursor_execute", on_execute)
    engine.dialect.do_commit = commit_or_fail
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        del engine.dialect.do_commit


def assert_nothing_left(desk, seen):
    assert seen["ticket_sent"] is True
    written = seen["files_at_failure"]
    assert written is not None and len(written) == 1 and written[0].name.startswith(PENDING_PREFIX)
    assert files_in(desk.uploads) == []
    assert ticket_count(desk.app) == 0


@pytest.mark.parametrize("where", ["flush", "commit"])
def test_api_ticket_failing_in_the_database_leaves_no_file(desk, where):
    with failing_database(desk.app, desk.uploads, where) as seen:
        if where == "flush":  # inside the view: the app answers 503 database_unavailable, rolled back
            response = desk.open(desk.a)
            assert response.status_code == 503 and response.headers.get("Retry-After"), response.get_data()
        else:  # the commit fails after the view
            with pytest.raises(OperationalError):
                desk.open(desk.a)
    assert_nothing_left(desk, seen)
    # The same request succeeds once the database answers again, and its file is kept.
    assert desk.open(desk.a).status_code == 201
    [stored] = files_in(desk.uploads)
    assert not stored.name.startswith(PENDING_PREFIX) and stored.read_bytes() == PNG


@pytest.mark.parametrize("where", ["flush", "commit"])
def test_page_ticket_failing_in_the_database_leaves_no_file(desk, where):
    desk.app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(desk.app, TEACHER_A)
    with failing_database(desk.app, desk.uploads, where) as seen, pytest.raises(OperationalError):
        client.post("/bantuan/baru", data={**form(), **upload()}, content_type="multipart/form-data")
    assert_nothing_left(desk, seen)


def test_file_appears_only_on_commit_and_goes_on_rollback(desk):
    clean, shot = services.check_submission(form(), upload()["screenshot"][0], ("belajar.id",))
    with desk.app.app_context():
        user = db.session.get(User, db.session.scalar(db.select(User.id).where(User.email == TEACHER_A)))
        services.open_ticket(user, clean, shot, folder=str(desk.uploads), now=now_utc())
        [pending] = files_in(desk.uploads)
        assert pending.name.startswith(PENDING_PREFIX)
        db.session.rollback()
        assert files_in(desk.uploads) == []

        ticket = services.open_ticket(user, clean, shot, folder=str(desk.uploads), now=now_utc())
        with db.session.begin_nested():  # a savepoint released is not the commit
            pass
        assert [p.name.startswith(PENDING_PREFIX) for p in files_in(desk.uploads)] == [True]
        db.session.commit()
        assert files_in(desk.uploads) == [Path(ticket.screenshot_path)]

        services.open_ticket(user, clean, shot, folder=str(desk.uploads), now=now_utc())
        db.session.remove()  # the request ends without a commit
    assert files_in(desk.uploads) == [Path(ticket.screenshot_path)]
