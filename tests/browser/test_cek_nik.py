"""In Chromium: a teacher who is not registered meets the gate, does Cek NIK, and sees the seed's messages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.conftest import ARTIFACTS

UNREGISTERED_NIK = "3175014101850002"  # valid (Jakarta Timur, 1 Jan 1985), in no roster
DEMO_TEACHER_NIK = "7371015505900001"


@pytest.mark.browser
@pytest.mark.slow
def test_cek_nik_from_the_gate(served_app, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="id-ID", viewport={"width": 1100, "height": 900})
    login(page, served_app.url, "guru.belum.demo@guru.sd.belajar.id")
    page.get_by_test_id("menu-sertifikasi").click()
    expect(page.get_by_test_id("gate")).to_contain_text("hanya akan terbuka untuk peserta sasaran")
    page.get_by_test_id("cek-nik").click()

    page.get_by_test_id("nik-input").fill(UNREGISTERED_NIK)
    page.get_by_test_id("cek-nik-submit").click()
    expect(page.get_by_test_id("nik-message")).to_have_text("Maaf, Anda tidak terdaftar di Sertifikasi Pendidik "
                                                            "kali ini")
    expect(page.get_by_test_id("email-masked")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "cek-nik-not-registered.png"), full_page=True)

    page.get_by_test_id("nik-input").fill(DEMO_TEACHER_NIK)
    page.get_by_test_id("cek-nik-submit").click()
    expect(page.get_by_test_id("nik-message")).to_have_text("Anda sudah bisa akses Sertifikasi Pendidik dengan "
                                                            "email ini")
    expect(page.get_by_test_id("email-masked")).to_have_text("gu****mo@guru.sd.belajar.id")
    expect(page.get_by_test_id("open-ticket")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "cek-nik-registered.png"), full_page=True)
    assert "guru.demo@" not in page.content()  # never more than the masked e-mail

    page.get_by_test_id("nik-input").fill("12345")
    page.get_by_test_id("cek-nik-submit").click()
    expect(page.get_by_test_id("nik-error")).to_contain_text("16 digit")
    expect(page.get_by_test_id("nik-input")).to_have_value("12345")
