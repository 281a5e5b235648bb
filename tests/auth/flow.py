"""Drive the real OIDC flow over HTTP, as a browser would (requests follows the redirects)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import requests


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def chooser_form(page: str, email: str) -> tuple[str, str, str]:
    """The chooser's form action, its CSRF token, and the button value for ``email``."""
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action, "no account chooser form"
    button = re.search(r'value="([^"]+)" class="account" data-email="' + re.escape(email) + '"', page)
    assert button, f"{email} is not offered by the provider"
    return html.unescape(action.group(1)), csrf_token(page), button.group(1)


def start_login(session: requests.Session, base: str, **params) -> requests.Response:
    """GET /auth/login and follow to the provider; returns the chooser page (or whatever the provider answered)."""
    return session.get(f"{base}/auth/login", params=params, timeout=10)


def choose_account(session: requests.Session, base: str, chooser: requests.Response, email: str,
                   follow: bool = True) -> requests.Response:
    action, token, sub = chooser_form(chooser.text, email)
    url = action if action.startswith("http") else base + action
    return session.post(url, data={"csrf_token": token, "account": sub}, allow_redirects=follow, timeout=10)


def login(session: requests.Session, base: str, email: str) -> requests.Response:
    chooser = start_login(session, base)
    assert chooser.status_code == 200, chooser.text[:500]
    return choose_account(session, base, chooser, email)


def callback_url(session: requests.Session, base: str, email: str) -> str:
    """Run the flow up to the provider's redirect back to /auth/callback, and return that URL unvisited."""
    chooser = start_login(session, base)
    response = choose_account(session, base, chooser, email, follow=False)
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    assert urlsplit(location).path == "/auth/callback"
    assert "code" in parse_qs(urlsplit(location).query)
    return location


def logout(session: requests.Session, base: str) -> requests.Response:
    home = session.get(f"{base}/", timeout=10)
    return session.post(f"{base}/auth/logout", data={"csrf_token": csrf_token(home.text)}, timeout=10)
