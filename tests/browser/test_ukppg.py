"""In Chromium: the demo teacher, everything complete, sees "Daftar UKPPPG", registers, and gets the confirmation."""

from __future__ import annotations

import re

import pytest
import requests

from tests.browser.conftest import login
from tests.conftest import ARTIFACTS
from tests.core.processes import lms

GURU = "guru.demo@guru.sd.belajar.id"


def complete_everything(base: str, token: str) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    progress = http.get(f"{base}/api/v1/me/progress", timeout=10).json()
    for module in progress["modules"]:
        for materi in module["materi"]:
            assert http.post(f"{base}/api/v1/materi/{materi['id']}/complete", timeout=10).status_code == 200
        questions = http.get(f"{base}/api/v1/posttests/{module['id']}", timeout=10).json()["questions"]
        http.post(f"{base}/api/v1/posttests/{module['id']}/attempts", timeout=10,
                  json={"answers": {str(q["id"]): q["options"][1]["id"] for q in questions}})
        prompts = http.get(f"{base}/api/v1/journals/{module['id']}", timeout=10).json()["prompts"]
        saved = http.put(f"{base}/api/v1/journals/{module['id']}", timeout=10, json={
            "answers": {str(p["id"]): "Refleksi saya. " * (p["min_length"] // 10 + 1) for p in prompts},
            "submit": True})
        assert saved.status_code == 200
    assert http.get(f"{base}/api/v1/me/progress", timeout=10).json()["percent"] == 100


@pytest.mark.browser
@pytest.mark.slow
def test_complete_register_and_print_the_confirmation(served_app, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="id-ID", viewport={"width": 1100, "height": 900})
    login(page, served_app.url, GURU)
    page.get_by_test_id("menu-sertifikasi").click()
    expect(page.get_by_test_id("daftar-ukppg")).to_have_count(0)
    expect(page.get_by_test_id("missing")).to_contain_text("Belum selesai")

    token = lms(served_app.env, "tokens", "create", GURU).stdout.split()[1]
    complete_everything(served_app.url, token)

    page.reload()
    expect(page.get_by_test_id("percent")).to_have_text("100%")
    page.get_by_test_id("daftar-ukppg").click()
    rows = page.get_by_test_id("sessions").locator("tbody tr")
    expect(rows.first).to_contain_text("Makassar")  # the teacher's own province first
    expect(rows.first.get_by_test_id("seats-left")).to_have_text("40 / 40")
    rows.first.locator("input[type=radio]").check()
    page.get_by_test_id("confirm-registration").click()
    expect(page.get_by_test_id("registration-number")).to_have_text(re.compile(r"UKPPPG-\d{4}-\d{6}"))
    expect(page.get_by_test_id("confirmation")).to_contain_text("TUK Universitas Negeri Makassar")
    page.screenshot(path=str(ARTIFACTS / "ukppg-confirmation.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.get_by_test_id("cancel-registration")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "ukppg-confirmation-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.get_by_test_id("menu-sertifikasi").click()
    expect(page.get_by_test_id("registration-confirmation")).to_be_visible()
    expect(page.get_by_test_id("daftar-ukppg")).to_have_count(0)

    # Cancel, then register again over a bad connection: the server registers, the answer is lost, and the
    # browser sends the same form again. The participant sees their registration, not an error.
    first_number = http_registration(served_app.url, token)["number"]
    page.goto(f"{served_app.url}/sertifikasi/ukppg/konfirmasi")
    page.get_by_test_id("cancel-registration").click()
    expect(page.get_by_test_id("cancel-consequence")).to_contain_text("akan dilepas")
    page.get_by_test_id("confirm-cancel").click()
    page.goto(f"{served_app.url}/sertifikasi/ukppg/")
    sent = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(route.fetch(max_redirects=0).status)  # processed by the server, never seen by the browser
        route.continue_()  # the retry: the very same form, with the same key

    page.route("**/sertifikasi/ukppg/", lose_the_first_answer)
    page.get_by_test_id("sessions").locator("tbody tr").first.locator("input[type=radio]").check()
    page.get_by_test_id("confirm-registration").click()
    expect(page.get_by_test_id("registration-number")).to_have_text(re.compile(r"UKPPPG-\d{4}-\d{6}"))
    assert sent == [302]
    mine = http_registration(served_app.url, token)
    assert mine["number"] != first_number
    expect(page.get_by_test_id("registration-number")).to_have_text(mine["number"])
    expect(page.locator(".flash.error")).to_have_count(0)


def http_registration(base: str, token: str) -> dict:
    response = requests.get(f"{base}/api/v1/ukppg/registrations/me", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
    assert response.status_code == 200
    return response.json()
