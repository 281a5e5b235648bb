"""The pages' form token (``lms.core.csrf``): Flask-WTF's own token, signed at each request with a serializer built
once, checked by Flask-WTF as before, and counted from the moment its page was rendered when a time limit is set."""

from __future__ import annotations

import re

from flask import session
from flask_wtf.csrf import generate_csrf

from lms.core import csrf
from tests.core.conftest import SIGNER_T0

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(client) -> str:
    return TOKEN.search(client.get("/").get_data(as_text=True)).group(1)


def test_the_token_is_the_one_flask_wtf_makes(app, clock):
    assert app.jinja_env.globals["csrf_token"] is csrf.csrf_token
    raw = "a1" * 20
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        theirs = generate_csrf()
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        ours = csrf.csrf_token()
        assert ours == theirs
        assert csrf.csrf_token() is ours and generate_csrf() is ours  # once per request, shared with the forms
    clock[0] += 1
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        assert csrf.csrf_token() != ours  # signed at each request's time


def test_the_serializer_is_built_once_and_its_tokens_pass(app, monkeypatch):
    built = []

    class Counting(csrf.KeptSignerSerializer):
        def __init__(self, *args, **kwargs):
            built.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(csrf, "KeptSignerSerializer", Counting)
    client = app.test_client()
    first = _token(client)  # a new session: Flask-WTF's own path makes its raw token
    tokens = [_token(client) for _ in range(3)]
    assert len(built) == 1
    for token in [first, *tokens]:
        response = client.post("/lang", data={"lang": "en", "next": "/healthz", "csrf_token": token})
        assert response.status_code == 302, token
    assert client.post("/lang", data={"lang": "en", "csrf_token": tokens[0][:-2] + "xx"}).status_code == 400
    other = app.test_client()
    assert other.post("/lang", data={"lang": "en", "csrf_token": tokens[0]}).status_code == 400  # another session


def test_the_time_limit_counts_from_the_render(app, clock):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    client = app.test_client()
    _token(client)
    early = _token(client)
    clock[0] = SIGNER_T0 + 3000
    late = _token(client)
    assert late != early
    clock[0] = SIGNER_T0 + 3601
    assert client.post("/lang", data={"lang": "en", "csrf_token": early}).status_code == 400  # expired
    assert client.post("/lang", data={"lang": "en", "next": "/healthz", "csrf_token": late}).status_code == 302
