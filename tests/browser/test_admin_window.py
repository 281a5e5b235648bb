"""In Chromium: an admin moves the DEMO cohort's end date, and the teacher's dashboard shows the new deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from tests.browser.conftest import login
from tests.conftest import ARTIFACTS


@pytest.mark.browser
@pytest.mark.slow
def test_admin_edits_a_window_and_the_teacher_sees_the_new_deadline(served_app, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    new_end = today + timedelta(days=45)
    new_deadline = f"{format_date(new_end, 'd MMMM y', locale='id')}, 23.59 WIB"

    teacher = browser.new_context(locale="id-ID").new_page()
    login(teacher, served_app.url, "guru.demo@guru.sd.belajar.id")
    teacher.get_by_test_id("menu-sertifikasi").click()
    expect(teacher.get_by_test_id("deadline")).not_to_contain_text(new_deadline)

    admin = browser.new_context(locale="id-ID", viewport={"width": 1200, "height": 900}).new_page()
    login(admin, served_app.url, "admin.demo@belajar.id")
    admin.goto(f"{served_app.url}/admin/")
    expect(admin.get_by_test_id("timeline-bar")).to_have_count(4)
    admin.screenshot(path=str(ARTIFACTS / "admin-timeline.png"), full_page=True)
    admin.goto(f"{served_app.url}/admin/cohorts/DEMO/edit")
    admin.locator("#learning_end").fill(new_end.isoformat())
    admin.get_by_test_id("save-cohort").click()
    expect(admin.get_by_test_id("cohort-windows")).to_contain_text(format_date(new_end, "d MMMM y", locale="id"))

    teacher.reload()
    expect(teacher.get_by_test_id("deadline")).to_contain_text(new_deadline)
    teacher.screenshot(path=str(ARTIFACTS / "dashboard-new-deadline.png"), full_page=True)

    # A teacher cannot reach the admin pages.
    response = teacher.goto(f"{served_app.url}/admin/cohorts/DEMO/edit")
    assert response.status == 403
