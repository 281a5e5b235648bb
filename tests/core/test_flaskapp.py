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


def test_an_untouched_empty_session_is_not_saved_and_a_touched_one_still_is(monkeypatch):
    """The short cut in ``save_session`` answers exactly as Flask would: nothing for a session nobody read, wrote
    or had; ``Vary: Cookie`` for one that was read; the cookie deleted when a session is emptied."""
    app = App(__name__)
    app.secret_key = "kunci"
    asked = []
    monkeypatch.setattr(type(app.session_interface), "get_cookie_domain",
                        lambda self, app: asked.append("domain") or None)

    @app.get("/tidak-disentuh")
    def untouched():
        return "ok"

    @app.get("/dibaca")
    def read():
        flask.session.get("lang")
        return "ok"

    @app.get("/ditulis")
    def written():
        flask.session["lang"] = "en"
        return "ok"

    @app.get("/dikosongkan")
    def emptied():
        flask.session.clear()
        return "ok"

    client = app.test_client()
    response = client.get("/tidak-disentuh")
    assert "Vary" not in response.headers and "Set-Cookie" not in response.headers and asked == []
    assert client.get("/dibaca").headers["Vary"] == "Cookie"
    response = client.get("/ditulis")
    assert "session=" in response.headers["Set-Cookie"]
    response = client.get("/dikosongkan")
    assert "session=;" in response.headers["Set-Cookie"]  # deleted
    assert asked  # the other three went through Flask's own save_session


def test_no_remember_me_hook_runs_after_each_request(app):
    from lms.extensions import login_manager

    hooks = app.after_request_funcs.get(None, [])
    assert hooks and login_manager._update_remember_cookie not in hooks
