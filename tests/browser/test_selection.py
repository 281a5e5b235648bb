"""In Chromium: the dinas proposes removing a determined candidate, the LPMP approves, and the list shows the
candidate removed and the next reserve of the same quota determined."""

from __future__ import annotations

import csv
import re

import pytest

from bench.pool_datagen import write_pool
from lms.core.nik import mask_nik
from tests.browser.conftest import login
from tests.conftest import ARTIFACTS
from tests.core.processes import lms

DINAS = "dinas.demo@belajar.id"
LPMP = "lpmp.demo@belajar.id"


def pick_candidates(rows: list[dict]) -> tuple[dict, dict]:
    """A ditetapkan candidate of a quota group (province) that has a cadangan, and that group's best cadangan."""
    by_group: dict[str, list[dict]] = {}
    for row in rows:
        if row["rank"]:
            by_group.setdefault(row["kode_kabkota"][:2], []).append(row)
    for group in sorted(by_group):
        ranked = sorted(by_group[group], key=lambda r: int(r["rank"]))
        chosen = [r for r in ranked if r["status"] == "ditetapkan"]
        reserve = [r for r in ranked if r["status"] == "cadangan"]
        if chosen and reserve and chosen[-1]["kode_kabkota"] != "7371":
            return chosen[-1], reserve[0]
    raise AssertionError("no quota group with both ditetapkan and cadangan")


@pytest.mark.browser
@pytest.mark.slow
def test_dinas_proposes_lpmp_approves_and_the_list_shows_it(served_app, browser, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    pool, out = write_pool(tmp_path / "pool.jsonl", 400), tmp_path / "hasil.csv"
    result = lms(served_app.env, "selection", "run", "--policy", "pgt2024", "--pool", str(pool), "--total", "100",
                 "--out", str(out))
    run_id = int(re.search(r"run (\d+)", result.stdout).group(1))
    with open(out, encoding="utf-8") as f:
        assert f.readline().startswith("# PERINGATAN")  # pgt2024's kab/kota list is a placeholder
        removed, promoted = pick_candidates(list(csv.DictReader(f)))
    group = removed["kode_kabkota"][:2]
    lms(served_app.env, "selection", "assign-region", DINAS, removed["kode_kabkota"])

    # The dinas: its own kab/kota by default, the masked NIK, and a proposal.
    dinas = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900}).new_page()
    login(dinas, served_app.url, DINAS)
    dinas.get_by_test_id("menu-penetapan").click()
    expect(dinas.get_by_test_id("placeholder-tag").first).to_be_visible()
    dinas.get_by_test_id(f"run-link-{run_id}").click()
    expect(dinas.get_by_test_id("placeholder-banner")).to_contain_text("bukan data resmi")
    row = dinas.locator(f"tr[data-group='{group}'][data-rank='{removed['rank']}']")
    expect(row).to_contain_text(removed["nama"])
    expect(row).to_contain_text(mask_nik(removed["nik"]))
    expect(dinas.locator("body")).not_to_contain_text(removed["nik"])
    form = dinas.locator(f"tr[data-for='{row.get_attribute('data-entry-id')}']")
    form.get_by_text("Usulkan penghapusan").click()
    form.get_by_test_id("reason").select_option("mutasi_kabkota_lain")
    form.get_by_test_id("note").fill("SK mutasi Bupati no. 800/123/2026")
    dinas.screenshot(path=str(ARTIFACTS / "selection-dinas-proposes.png"), full_page=True)
    form.get_by_test_id("propose-submit").click()
    expect(dinas.locator(".flash.success")).to_contain_text("menunggu keputusan LPMP")
    row = dinas.locator(f"tr[data-group='{group}'][data-rank='{removed['rank']}']")
    expect(row.get_by_test_id("entry-pending")).to_be_visible()

    # The LPMP, in another browser context: the queue, and the approval.
    lpmp = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900}).new_page()
    login(lpmp, served_app.url, LPMP)
    lpmp.get_by_test_id("menu-penetapan").click()
    lpmp.get_by_test_id("menu-usulan").click()
    proposal = lpmp.get_by_test_id("proposal").filter(has_text=removed["nama"])
    expect(proposal).to_contain_text("SK mutasi Bupati no. 800/123/2026")
    proposal.get_by_test_id("decision-note").fill("Sesuai SK mutasi")
    lpmp.screenshot(path=str(ARTIFACTS / "selection-lpmp-queue.png"), full_page=True)
    proposal.get_by_test_id("decision-confirm").check()
    proposal.get_by_test_id("approve").click()
    expect(lpmp.locator(".flash.success")).to_contain_text(f"{promoted['nama']} (cadangan berikutnya) kini ditetapkan")

    # The list now: the candidate dihapus, the former cadangan ditetapkan.
    lpmp.goto(f"{served_app.url}/penetapan/{run_id}?kode_kabkota={removed['kode_kabkota']}")
    row = lpmp.locator(f"tr[data-group='{group}'][data-rank='{removed['rank']}']")
    expect(row).to_have_attribute("data-status", "dihapus")
    expect(row.get_by_test_id("entry-status")).to_have_text("Dihapus")
    lpmp.goto(f"{served_app.url}/penetapan/{run_id}?kode_kabkota={promoted['kode_kabkota']}")
    row = lpmp.locator(f"tr[data-group='{group}'][data-rank='{promoted['rank']}']")
    expect(row).to_contain_text(promoted["nama"])
    expect(row).to_have_attribute("data-status", "ditetapkan")
    lpmp.screenshot(path=str(ARTIFACTS / "selection-after-approval.png"), full_page=True)

    dinas.goto(f"{served_app.url}/penetapan/usulan")
    expect(dinas.get_by_test_id("proposal-status").first).to_have_text("Disetujui")
    expect(dinas.get_by_test_id("promoted").first).to_have_text(promoted["nama"])
    dinas.screenshot(path=str(ARTIFACTS / "selection-dinas-decision.png"), full_page=True)
