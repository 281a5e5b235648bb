"""Browser fixtures: `lms serve` started as `make run` starts it, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from tests.conftest import CHROMIUM, service_unavailable
from tests.core.processes import free_port, lms, lms_env, start, stop, wait_for_http

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@dataclass
class Served:
    url: str
    env: dict


@pytest.fixture
def served_app(tmp_path):
    port = free_port()
    env = lms_env(tmp_path / "instance", LMS_DEV_IDP="1")
    lms(env, "db", "upgrade")
    lms(env, "demo")
    log = tmp_path / "serve.log"
    server = start(env, log, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", server, log)
        yield Served(base, env)
    finally:
        stop(server)


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        service_unavailable("Chromium", f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def login(page, base: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/")
    page.get_by_test_id("login").click()
    page.locator(f"button[data-email='{email}']").click()
    expect(page.get_by_test_id("who")).to_be_attached()  # inside the collapsed menu on a phone
