"""In Chromium, on a phone and on a desktop, in Bahasa Indonesia and in English: a teacher who is in a published
run but not a participant meets the gate, which shows the status; "Lihat alasan" opens the explanation. From Cek
NIK ("tidak terdaftar"), "Lihat alasan" opens the same page. The public announcement finds the teacher by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.pool_datagen import write_pool
from tests.browser.conftest import login
from tests.conftest import ARTIFACTS
from tests.core.processes import lms

TEACHER = "guru.belum.demo@guru.sd.belajar.id"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
TEXTS = {
    "id": {"headline": "Hasil penetapan PPG: tidak memenuhi syarat", "status": "Tidak memenuhi syarat",
           "explanation": "Anda tidak ditetapkan karena tidak memenuhi syarat berikut",
           "unmet": "Belum dinyatakan memenuhi persyaratan administrasi PPG pada tahun 2023.",
           "not_registered": "Maaf, Anda tidak terdaftar di Sertifikasi Pendidik kali ini", "why": "Lihat alasan"},
    "en": {"headline": "PPG determination: requirements not met", "status": "Not eligible",
           "explanation": "You were not determined because you do not meet these requirements",
           "unmet": "Not declared to meet the PPG administrative requirements in 2023.",
           "not_registered": "Sorry, you are not registered for Sertifikasi Pendidik this time", "why": "See why"},
}


def publish_run_with_teacher(env: dict, folder: Path, email: str = TEACHER) -> tuple[int, dict]:
    """A published pgt2024 run in which ``email`` is a candidate who does not meet the 2023 administrative
    requirement (so never a participant); returns the run id and that candidate's pool line."""
    pool = write_pool(folder / "calon-penetapan.jsonl", 120)
    lines = [json.loads(line) for line in pool.read_text().splitlines()]
    lines[7].update(email=email, nama="Guru Belum Terdaftar", memenuhi_administrasi_2023=False)
    pool.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = lms(env, "selection", "run", "--policy", "pgt2024", "--pool", str(pool), "--total", "30",
                 "--out", str(folder / "hasil-penetapan.csv"))
    run_id = int(re.search(r"run (\d+)", result.stdout).group(1))
    lms(env, "selection", "publish", str(run_id), "--cohort", "DEMO", "--allow-placeholder")
    return run_id, lines[7]


def _axe_problems(page) -> list[str]:
    """Serious or critical WCAG 2.1 A/AA violations (as the phone walk counts them)."""
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    return [f"{page.url}: {v['id']} {v['help']}" for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")]


def _context(browser, base: str, viewport: dict, lang: str):
    context = browser.new_context(locale="id-ID", viewport=viewport, bypass_csp=True)
    if lang == "en":
        context.add_cookies([{"name": "lms_lang", "value": "en", "url": base}])
    return context


def _expect_explanation(page, texts: dict) -> None:
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/sertifikasi/penetapan-saya/$"))
    expect(page.get_by_test_id("my-selection")).to_have_attribute("data-status", "tidak_memenuhi_syarat")
    expect(page.get_by_test_id("my-selection-headline")).to_have_text(texts["headline"])
    expect(page.get_by_test_id("my-selection-status")).to_have_text(texts["status"])
    expect(page.get_by_test_id("my-selection-explanation")).to_contain_text(texts["explanation"])
    expect(page.get_by_test_id("my-selection-explanation")).to_contain_text(texts["unmet"])
    expect(page.get_by_test_id("my-selection-unmet").locator("li[data-rule='administrasi_2023']")).to_have_text(
        texts["unmet"])


@pytest.mark.browser
@pytest.mark.slow
def test_gate_and_cek_nik_lead_to_the_explanation(served_app, browser, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    run_id, candidate = publish_run_with_teacher(served_app.env, tmp_path)
    base = served_app.url
    for lang, texts in TEXTS.items():
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = _context(browser, base, viewport, lang)
            page = context.new_page()
            login(page, base, TEACHER)

            # The gate: not a participant, with the status of the published run and the way to the reasons.
            page.goto(base + "/sertifikasi/")
            expect(page.get_by_test_id("gate")).to_be_visible()
            expect(page.get_by_test_id("my-selection-headline")).to_have_text(texts["headline"])
            expect(page.get_by_test_id("my-selection-status")).to_have_text(texts["status"])
            page.screenshot(path=str(ARTIFACTS / f"determination-gate-{lang}-{size}.png"), full_page=True)
            audit = size == "phone" and lang == "id"  # the phone walk's rule: axe once per page, no sideways scroll
            assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
            problems = _axe_problems(page) if audit else []
            page.locator("a[data-testid='my-selection-link']").filter(has_text=texts["why"]).click()
            _expect_explanation(page, texts)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
            problems += _axe_problems(page) if audit else []
            page.screenshot(path=str(ARTIFACTS / f"determination-explanation-{lang}-{size}.png"), full_page=True)

            # Cek NIK: the NIK is in no roster ("tidak terdaftar"), and "Lihat alasan" opens the same page.
            page.goto(base + "/sertifikasi/cek-nik/")
            page.get_by_test_id("nik-input").fill(candidate["nik"])
            page.get_by_test_id("cek-nik-submit").click()
            expect(page.get_by_test_id("nik-message")).to_have_text(texts["not_registered"])
            page.screenshot(path=str(ARTIFACTS / f"determination-cek-nik-{lang}-{size}.png"), full_page=True)
            page.get_by_test_id("nik-result").get_by_test_id("my-selection-link").click()
            _expect_explanation(page, texts)
            body = page.locator("body").inner_text()
            assert candidate["nik"] not in body and candidate["tanggal_lahir"] not in body
            assert not problems, problems
            context.close()

    # The public announcement (no login) finds the determined by the start of a name, never the full NIK.
    page = _context(browser, base, PHONE, "id").new_page()
    page.goto(f"{base}/pengumuman/{run_id}")
    name = page.get_by_test_id("announcement-line").first.locator("td").nth(1).inner_text()
    page.get_by_test_id("filter-nama").fill(name.split()[0].lower())
    page.get_by_test_id("filter-nama").press("Enter")
    expect(page.get_by_test_id("announcement-line").first).to_contain_text(name.split()[0])
    for row in page.get_by_test_id("announcement-line").all():
        assert row.locator("td").nth(1).inner_text().startswith(name.split()[0])
    assert candidate["nik"] not in page.content() and TEACHER not in page.content()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert not _axe_problems(page)
    page.screenshot(path=str(ARTIFACTS / "announcement-search-phone.png"), full_page=True)
