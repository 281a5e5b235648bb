"""Every page of every role, on a 360 x 800 phone, in Bahasa Indonesia and in English: nothing scrolls sideways,
and axe-core (WCAG 2.1 A/AA) finds no serious or critical violation on any of them, in either language.

The walk starts at each role's home and follows the links it finds (one page per URL shape, so a list of a
thousand tickets costs one visit), on top of a few pages named explicitly."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tests.browser.conftest import login
from tests.browser.test_determination import publish_run_with_teacher
from tests.browser.test_ukppg import complete_everything
from tests.conftest import ARTIFACTS
from tests.core.processes import lms
from tests.helpdesk.helpers import PNG

PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
GURU = "guru.demo@guru.sd.belajar.id"
#: (account, pages named explicitly besides those the walk finds)
ROLES = {
    "guru": (GURU, ["/sertifikasi/", "/sertifikasi/ukppg/", "/sertifikasi/ukppg/konfirmasi",
                    "/sertifikasi/ukppg/batal", "/bantuan/", "/bantuan/baru", "/sertifikasi/cek-nik/"]),
    "guru-belum": ("guru.belum.demo@guru.sd.belajar.id", ["/sertifikasi/", "/sertifikasi/cek-nik/", "/bantuan/baru"]),
    "helpdesk": ("bantuan.demo@belajar.id", ["/bantuan/antrian"]),
    "admin": ("admin.demo@belajar.id", ["/admin/", "/admin/cohorts/new", "/admin/outbox", "/admin/ukppg/",
                                        "/admin/audit", "/admin/cohorts/DEMO/perpanjangan-massal",
                                        "/admin/cohorts/DEMO/progress?group=kabkota", "/penetapan/",
                                        "/penetapan/usulan", "/admin/cohorts/DEMO/berisiko",
                                        "/admin/cohorts/DEMO/progress?group=school", "/laporan/"]),
    "superadmin": ("super.demo@belajar.id", ["/"]),
    "dinas": ("dinas.demo@belajar.id", ["/penetapan/", "/penetapan/usulan", "/laporan/",
                                        "/laporan/DEMO?group=school", "/laporan/DEMO/peserta"]),
    "lpmp": ("lpmp.demo@belajar.id", ["/penetapan/", "/penetapan/usulan", "/laporan/",
                                      "/laporan/DEMO?group=province"]),
}
SKIP = re.compile(r"\.(csv|json|png|jpg|ics|jwt)(\?|$)|/kredensial$|format=|/static/|/auth/|/lang|/tangkapan-layar"
                  r"|/api/|/healthz")
MAX_PAGES = 30
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def shape(path: str) -> str:
    """One visit per URL shape: ids and query values do not make another page."""
    parts = urlparse(path)
    group = re.search(r"group=\w+", parts.query)  # the progress report's groupings are different tables
    return re.sub(r"\d+", "N", parts.path) + (f"?{group.group(0)}" if group else "")


def prepare(served_app, browser, folder) -> list[str]:
    """A teacher with everything done, registered for UKPPPG, with a ticket (the demo has a selection run); a
    published run in which the unregistered teacher is ineligible. Returns the pages that run adds to the walk."""
    base = served_app.url
    run_id, _candidate = publish_run_with_teacher(served_app.env, folder)
    token = lms(served_app.env, "tokens", "create", GURU).stdout.split()[1]
    complete_everything(base, token)
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    login(page, base, GURU)
    page.goto(base + "/sertifikasi/ukppg/")
    page.get_by_test_id("sessions").locator("tbody tr input[type=radio]").first.check()
    page.get_by_test_id("confirm-registration").click()
    page.goto(base + "/bantuan/baru")
    page.select_option("#category", index=1)
    page.fill("#full_name", "Guru Demo")
    page.fill("#nik", "7371015505900001")
    page.fill("#belajar_id_account", GURU)
    page.fill("#satuan_pendidikan", "SD Negeri 1 Makassar")
    page.set_input_files("#screenshot", files=[{"name": "undangan.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_test_id("submit-ticket").click()
    context.close()
    return ["/sertifikasi/penetapan-saya/", f"/pengumuman/{run_id}", f"/pengumuman/{run_id}?nama=siti&page=1"]


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


#: One evaluate per page: axe-core is already in the page (an init script of the context), it runs only the WCAG 2.1
#: A/AA rules, collects only violations, and hands back a line for each serious or critical one.
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `axe ${v.impact} ${v.id}: ${v.help} ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
}"""


AXE_SECONDS: list[float] = []


def check_page(page, label: str) -> list[str]:
    problems = []
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 361 && !e.closest('[data-scroll-region]'))
            .slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
        problems.append(f"{label}: scrollWidth {width} > 360 ({wide})")
    started = time.perf_counter()
    problems += [f"{label}: {line}" for line in page.evaluate(AXE_RUN, AXE_TAGS)]
    AXE_SECONDS.append(time.perf_counter() - started)  # reported, never asserted
    return problems


def screenshots(page, name: str) -> None:
    """The page at phone size, then at desktop size (and back)."""
    page.screenshot(path=str(ARTIFACTS / "phone" / f"{name}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(ARTIFACTS / "desktop" / f"{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def walk(page, base: str, role: str, starts: list[str], lang: str, shot: set) -> tuple[list[str], int]:
    """Every page found is checked for width and by axe, in each language; ``shot``: the pages already in a
    screenshot (one per role and page shape, in Bahasa Indonesia)."""
    problems, seen, queue, visited = [], set(), list(starts), 0
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        if shape(path) in seen or SKIP.search(path):
            continue
        seen.add(shape(path))
        response = page.goto(urljoin(base, path))
        if response is None or response.status >= 400 and response.status != 403:  # 403: the gate page
            problems.append(f"{role}/{lang} {path}: HTTP {response and response.status}")
            continue
        visited += 1
        problems += check_page(page, f"{role}/{lang} {path}")
        name = re.sub(r"[^a-z0-9]+", "-", f"{role}{shape(path)}".lower()).strip("-")
        if lang == "id" and name not in shot:
            shot.add(name)
            screenshots(page, name)
        for href in page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))"):
            target = urlparse(urljoin(page.url, href))
            if target.netloc == urlparse(base).netloc and not href.startswith("#"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return problems, visited


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_fits_a_phone_and_passes_axe(served_app, browser, tmp_path):
    for size in ("phone", "desktop"):
        (ARTIFACTS / size).mkdir(parents=True, exist_ok=True)
    selection_pages = prepare(served_app, browser, tmp_path)
    source, problems, pages, shot = axe_source(), [], 0, set()
    for role, (email, starts) in ROLES.items():
        if role.startswith("guru"):  # their own determination (the unregistered one's with reasons), the announcement
            starts = [*starts, *selection_pages]
        context = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True, has_touch=True)
        context.add_init_script(script=source)  # axe-core in every page of the walk, without a transfer per page
        page = context.new_page()
        login(page, served_app.url, email)
        landed = urlparse(page.url).path
        for lang in ("id", "en"):
            if lang == "en":
                page.get_by_test_id("menu-toggle").click()
                page.locator("form.lang button").click()
            found, visited = walk(page, served_app.url, role, [landed, *starts], lang, shot)
            problems += found
            pages += visited
        context.close()
    # The menu collapses: on a phone the nav links are hidden until the menu button opens them.
    context = browser.new_context(locale="id-ID", viewport=PHONE)
    page = context.new_page()
    login(page, served_app.url, "admin.demo@belajar.id")
    page.screenshot(path=str(ARTIFACTS / "phone" / "menu-closed.png"))
    header = page.locator("header").bounding_box()["height"]
    hidden = not page.get_by_test_id("menu-admin").is_visible()
    page.get_by_test_id("menu-toggle").click()
    shown = page.get_by_test_id("menu-admin").is_visible()
    page.screenshot(path=str(ARTIFACTS / "phone" / "menu-open.png"))
    context.close()
    assert not problems, "\n".join(problems)
    print(f"{pages} pages walked, each checked by axe ({sum(AXE_SECONDS):.1f} s in axe); "
          f"{len(shot)} pages in screenshots at phone and desktop size")
    assert pages >= 40
    assert (header, hidden, shown) == (pytest.approx(header), True, True) and header <= 72
