"""In Debian's Chromium: the demo teacher logs in through the embedded provider and logs out,
against `lms serve` started the way `make run` starts it."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS


@pytest.mark.browser
@pytest.mark.slow
def test_demo_teacher_logs_in_and_out(served_app, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="id-ID")
    page.goto(served_app.url + "/")
    page.get_by_test_id("login").click()
    expect(page.get_by_role("heading", name="Pilih akun")).to_be_visible()
    page.locator("button[data-email='guru.demo@guru.sd.belajar.id']").click()
    expect(page.get_by_test_id("who")).to_have_text("Guru Demo")
    expect(page.get_by_test_id("percent")).to_be_visible()  # a teacher lands on the dashboard
    page.screenshot(path=str(ARTIFACTS / "login-guru.png"), full_page=True)

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "logout.png"), full_page=True)

    # The next login asks which account to use, and the gmail account is refused with no session.
    page.get_by_test_id("login").click()
    expect(page.get_by_role("heading", name="Pilih akun")).to_be_visible()
    page.locator("button[data-email='tamu.demo@gmail.com']").click()
    expect(page.get_by_test_id("refused")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "refused-gmail.png"), full_page=True)
    assert (ARTIFACTS / "login-guru.png").stat().st_size > 0
