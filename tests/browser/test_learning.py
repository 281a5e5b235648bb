"""In Chromium, the demo teacher completes one module end to end: materi, post-test, journal (with autosave)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import login
from tests.conftest import ARTIFACTS

REFLECTION = ("Di kelas saya, saya mulai mengamati kesiapan belajar setiap murid sebelum menyusun kegiatan. "
              "Murid yang cepat saya beri tantangan tambahan, sedangkan yang memerlukan dukungan saya dampingi "
              "dalam kelompok kecil. Hasilnya, lebih banyak murid yang aktif bertanya dan menyelesaikan tugas.")


@pytest.mark.browser
@pytest.mark.slow
def test_demo_teacher_completes_a_module(served_app, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="id-ID", viewport={"width": 1100, "height": 900})
    login(page, served_app.url, "guru.demo@guru.sd.belajar.id")
    page.get_by_test_id("menu-sertifikasi").click()
    expect(page.get_by_test_id("percent")).to_have_text("0%")
    expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"\d+ hari \d\d:\d\d:\d\d"))
    expect(page.get_by_test_id("deadline")).to_contain_text("WIB")
    expect(page.get_by_test_id("deadline")).to_contain_text("WITA")  # the demo teacher is in Makassar
    page.screenshot(path=str(ARTIFACTS / "dashboard-start.png"), full_page=True)

    page.get_by_test_id("next-step").get_by_role("link").click()
    # Materi: mark each done; the last one leads on to the post-test.
    while page.get_by_test_id("mark-done").count():
        expect(page.get_by_test_id("materi-body")).not_to_be_empty()
        page.get_by_test_id("mark-done").click()
    expect(page.get_by_test_id("question").first).to_be_visible()

    # Post-test: answer every question with its first option; the score is feedback only.
    for question in page.get_by_test_id("question").all():
        question.locator("input[type=radio]").first.check()
    page.get_by_test_id("submit-posttest").click()
    expect(page.get_by_test_id("score")).to_contain_text("Nilai latihan")
    expect(page.get_by_test_id("feedback").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "posttest-result.png"), full_page=True)

    # Journal: typed text saves itself without reloading the page, and survives a reload.
    page.get_by_test_id("to-journal").click()
    prompts = page.locator("textarea")
    for i in range(prompts.count()):
        prompts.nth(i).fill(REFLECTION)
    expect(page.get_by_test_id("save-status")).to_contain_text("Draf tersimpan", timeout=15000)
    page.reload()
    expect(page.locator("textarea").first).to_have_value(REFLECTION)
    expect(page.get_by_test_id("journal-status")).to_have_text("Draf")
    page.get_by_test_id("submit-journal").click()
    expect(page.locator(".flash.success")).to_contain_text("Jurnal terkirim")

    page.get_by_test_id("menu-sertifikasi").click()
    first_module = page.locator("[data-testid^='module-']").first
    expect(first_module).to_contain_text("Selesai")
    percent = int(page.get_by_test_id("percent").inner_text().rstrip("%"))
    assert 0 < percent < 100
    page.screenshot(path=str(ARTIFACTS / "dashboard-module-done.png"), full_page=True)
