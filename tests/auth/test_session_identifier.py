"""Flask-Login's session protection compares an identifier of the client with the one stored at login: the app's
``session_identifier`` (read from the WSGI environ) gives Flask-Login's own identifier for every client."""

from __future__ import annotations

import pytest
from flask_login.utils import _create_identifier

from lms.auth.login import session_identifier
from lms.extensions import login_manager


@pytest.mark.parametrize("headers, remote", [
    ({}, "127.0.0.1"),
    ({"User-Agent": "Mozilla/5.0 (X11; Linux) Chromium/120"}, "10.0.0.8"),
    ({"User-Agent": "agen ü", "X-Forwarded-For": "203.0.113.9, 10.0.0.1"}, "10.0.0.1"),
    ({"X-Forwarded-For": " 198.51.100.7 "}, None),
    ({}, None),
])
def test_the_identifier_is_flask_logins_own(app, headers, remote):
    environ = {"REMOTE_ADDR": remote} if remote is not None else {}
    with app.test_request_context("/", headers=headers, environ_base=environ) as ctx:
        if remote is None:
            ctx.request.environ.pop("REMOTE_ADDR", None)
            ctx.request.remote_addr = None
        assert session_identifier() == _create_identifier()
    assert login_manager._session_identifier_generator is session_identifier
