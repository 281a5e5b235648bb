"""The app's Flask class checks each callable for a coroutine function once, not on every request."""

from __future__ import annotations

import asyncio

import flask.app

from lms.core.flaskapp import App


def test_a_plain_function_is_checked_once_and_returned_as_is(monkeypatch):
    app = App(__name__)
    checks = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: checks.append(func) or real(func))

    def view():
        return "ok"

    assert all(app.ensure_sync(view) is view for _ in range(5))
    assert checks == [view]


def test_a_coroutine_function_is_still_made_synchronous(monkeypatch):
    app = App(__name__)
    monkeypatch.setattr(App, "async_to_sync", lambda self, func: lambda: asyncio.run(func()))

    async def view():
        return "async"

    assert app.ensure_sync(view)() == "async"
    assert app.ensure_sync(view)() == "async"


def test_the_session_serializer_is_built_once_per_key_and_follows_a_new_key():
    app = App(__name__)
    app.secret_key = "kunci-lama"
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    signed = first.dumps({"n": 1})
    app.secret_key = "kunci-baru"
    app.config["SECRET_KEY_FALLBACKS"] = ["kunci-lama"]
    rotated = interface.get_signing_serializer(app)
    assert rotated is not first
    assert rotated.loads(signed) == {"n": 1}  # signed with the old key, which is now a fallback
    assert rotated.dumps({"n": 2}) != first.dumps({"n": 2})
    app.secret_key = None
    assert interface.get_signing_serializer(app) is None


def test_a_session_cookie_round_trips_through_the_app(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    with client.session_transaction() as session:
        assert session["lang"] == "en"
