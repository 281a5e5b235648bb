"""The login routes are rate limited by their own decorators; the app does not run the limiter's app-wide check on
every other request (it has no default limits), which keeps the hot read paths free of that work."""

from __future__ import annotations

from lms.extensions import limiter


def test_only_decorated_views_are_limited(app):
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    client = app.test_client()
    answers = [client.get("/auth/callback?error=access_denied").status_code for _ in range(31)]
    assert 429 not in answers[:30] and answers[30] == 429, answers


def test_other_requests_are_not_counted(app):
    client = app.test_client()
    for _ in range(40):
        assert client.get("/healthz").status_code == 200
    assert client.get("/auth/callback?error=access_denied").status_code != 429


def test_a_limited_view_still_answers_with_its_limit_headers_and_others_without(app):
    """The limiter's after-request and teardown hooks run only on a request a limit decorator checked: the limited
    view still gets its rate-limit headers (and its state is reset for the next request), other views none."""
    client = app.test_client()
    first = client.get("/auth/callback?error=access_denied")
    assert first.headers["X-RateLimit-Limit"] == "30" and first.headers["X-RateLimit-Remaining"] == "29"
    second = client.get("/auth/callback?error=access_denied")
    assert second.headers["X-RateLimit-Remaining"] == "28"
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers
