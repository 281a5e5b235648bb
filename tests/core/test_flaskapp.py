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
