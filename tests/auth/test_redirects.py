"""After login the browser goes back only to a path on this app: never to another host, never a 500."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests

from lms.core.redirects import safe_next
from tests.auth import flow

GURU = "guru.demo@guru.sd.belajar.id"

#: Raw query values of ``next`` (as sent on the wire) that must not be followed.
HOSTILE = [
    "/%09/evil.example/",  # tab: browsers drop it and read //evil.example/
    "/%0A/x",  # LF: a header injection (was a 500)
    "/%0D/x",  # CR
    "/%0D%0A/evil.example",
    "/%7F/evil.example",
    "//evil.example/",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",  # /\evil.example
    "%5C%5Cevil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/%252F%252Fevil.example/%2509",
]


@pytest.mark.parametrize("target", ["/", "/sertifikasi/", "/api/v1/me", "/bantuan/3?x=1&y=%20z", "/a%20b"])
def test_a_path_on_this_app_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [None, "", "\t/x", "/\t/evil.example/", "/\n/x", "/\r\n/x", "/\x00", "/\x7f",
                                    "//evil", "/\\evil", "\\\\evil", "/%5Cevil", "/%2F/evil", "%2F%2Fevil",
                                    "https:evil", "https://evil", "//", "/%09/evil", "/%0a/x", "x/y",
                                    "/" + "a" * 2001])
def test_anything_else_is_refused(target):
    assert safe_next(target) is None


def final_location(base: str, raw_next: str) -> requests.Response:
    """Log in with ``?next=RAW`` through the provider; return the app's answer to the callback (not followed)."""
    s = requests.Session()
    chooser = s.get(f"{base}/auth/login?next={raw_next}", timeout=10)
    assert chooser.status_code == 200, chooser.text[:300]
    to_callback = flow.choose_account(s, base, chooser, GURU, follow=False)
    assert to_callback.status_code == 302
    return s.get(to_callback.headers["Location"], allow_redirects=False, timeout=10)


@pytest.mark.parametrize("raw_next", HOSTILE)
def test_login_never_leaves_the_app(live_server, raw_next):
    response = final_location(live_server.url, raw_next)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\t" not in location and "\n" not in location and "\\" not in location
    target = urlsplit(urljoin(f"{live_server.url}/auth/callback", location))
    assert target.netloc == urlsplit(live_server.url).netloc
    assert target.path == "/sertifikasi/"  # the teacher's landing page


def test_login_returns_to_an_app_path_with_its_query(live_server):
    response = final_location(live_server.url, "/bantuan/%3Fx%3D1")
    assert response.status_code == 302 and response.headers["Location"] == "/bantuan/?x=1"


def test_a_nul_byte_in_next_is_refused_before_login(live_server):
    """NUL in any query string is refused app-wide (422), so such a target never reaches the provider."""
    response = requests.get(f"{live_server.url}/auth/login?next=/%00/evil.example", allow_redirects=False, timeout=10)
    assert response.status_code == 422
    assert "Location" not in response.headers


def test_login_with_a_hostile_next_is_never_a_server_error(live_server):
    for raw_next in HOSTILE:
        response = requests.get(f"{live_server.url}/auth/login?next={raw_next}", allow_redirects=False, timeout=10)
        assert response.status_code == 302, (raw_next, response.status_code)
        assert urlsplit(response.headers["Location"]).path.endswith("/authorize")


@pytest.mark.parametrize("target", ["/%09/evil.example/", "//evil.example/", "/\\evil.example", "https://evil.example/",
                                    "/%0A/x"])
def test_language_switch_never_leaves_the_app(app, target):
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
