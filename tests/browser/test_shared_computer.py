"""In Chromium, on one shared browser: a teacher's journal draft never reaches the next teacher, and a save
conflict keeps the typed text beside the newer saved one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.posttest.models import Question
from tests.browser.conftest import login
from tests.conftest import ARTIFACTS
from tests.learning import DURING, Learning

TEACHER_A = "guru.demo@guru.sd.belajar.id"
TEACHER_B = "guru.lain@guru.sd.belajar.id"
TEXT_A = "Catatan pribadi guru A tentang murid-murid kelas empat yang tidak boleh dilihat orang lain."
TEXT_B = "Refleksi guru B tentang diskusi kelompok kecil di kelas enam minggu ini."


@pytest.fixture
def backend():
    """One database is enough here: the browser, not the SQL, is under test."""
    return "sqlite"


class Teacher:
    """A participant whose first module's journal is open, with an API token to read the server's copy."""

    def __init__(self, app, learning: Learning, email: str, cohort_id: int):
        self.client = app.test_client()
        learning.participant(email, cohort_id=cohort_id)
        self.headers = learning.headers(email)
        module = self.client.get("/api/v1/me/progress", headers=self.headers).get_json()["modules"][0]
        self.module_id = module["id"]
        for materi in module["materi"]:
            assert self.client.post(f"/api/v1/materi/{materi['id']}/complete", headers=self.headers).status_code == 200
        with app.app_context():
            questions = db.session.scalars(select(Question).where(Question.module_id == self.module_id)).all()
            answers = {str(q.id): q.options[0].id for q in questions}
        assert self.client.post(f"/api/v1/posttests/{self.module_id}/attempts", json={"answers": answers},
                                headers=self.headers).status_code == 201

    def journal(self) -> dict:
        return self.client.get(f"/api/v1/journals/{self.module_id}", headers=self.headers).get_json()

    def put(self, answers: dict, version: int) -> dict:
        response = self.client.put(f"/api/v1/journals/{self.module_id}", headers=self.headers,
                                   json={"answers": answers, "submit": False, "version": version})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def teachers(live_server, frozen_clock):
    frozen_clock(DURING)
    learning = Learning(live_server.app)
    cohort_id = learning.cohort(curriculum_id=learning.curriculum(prompts=1))
    return (Teacher(live_server.app, learning, TEACHER_A, cohort_id),
            Teacher(live_server.app, learning, TEACHER_B, cohort_id))


def lms_keys(page) -> dict:
    return page.evaluate("() => Object.fromEntries(Object.keys(localStorage).filter((k) => k.startsWith('lms-'))"
                         ".map((k) => [k, localStorage.getItem(k)]))")


@pytest.mark.browser
def test_the_next_teacher_on_a_shared_browser_sees_nothing_of_the_previous_one(live_server, browser, teachers):
    from playwright.sync_api import expect

    a, b = teachers
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    journal_url = f"{live_server.url}/sertifikasi/modul/{a.module_id}/jurnal/"

    # Teacher A types, and logs out before the autosave sends anything: the text is only on this device.
    login(page, live_server.url, TEACHER_A)
    page.goto(journal_url)
    page.locator("textarea").first.fill(TEXT_A)
    kept = lms_keys(page)
    assert len(kept) == 1 and TEXT_A in next(iter(kept.values()))
    [key] = kept
    assert TEACHER_A not in key and key.startswith("lms-journal-") and key.endswith(f"-{a.module_id}")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("logged-out")).to_be_visible()
    assert lms_keys(page) == {}

    # Teacher B logs in on the same browser: nothing of A's in the form, in storage, or on the server.
    login(page, live_server.url, TEACHER_B)
    expect(page.get_by_test_id("who")).to_have_text("Guru Lain")
    page.goto(journal_url)
    expect(page.locator("textarea").first).to_have_value("")
    expect(page.get_by_test_id("save-status")).to_have_text("")
    assert all(TEXT_A not in v for v in lms_keys(page).values())
    page.locator("textarea").first.fill(TEXT_B)
    expect(page.get_by_test_id("save-status")).to_contain_text("Draf tersimpan", timeout=15000)
    page.screenshot(path=str(ARTIFACTS / "shared-computer-teacher-b.png"), full_page=True)
    assert list(b.journal()["answers"].values()) == [TEXT_B]
    assert a.journal()["status"] == "empty"
    context.close()


@pytest.mark.browser
def test_the_page_after_logout_wipes_drafts_even_when_the_logout_script_did_not_run(live_server, browser, teachers):
    from playwright.sync_api import expect

    a, _ = teachers
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    login(page, live_server.url, TEACHER_A)
    page.goto(f"{live_server.url}/sertifikasi/modul/{a.module_id}/jurnal/")
    page.locator("textarea").first.fill(TEXT_A)
    page.evaluate("() => localStorage.setItem('lms-journal-leftover-1', 'teks lama')")
    assert len(lms_keys(page)) == 2
    # form.submit() fires no submit event: the click handler that wipes storage does not run.
    page.evaluate("() => document.querySelector('form[data-clear-storage]').submit()")
    expect(page.get_by_test_id("logged-out")).to_be_visible()
    assert lms_keys(page) == {}
    context.close()


@pytest.mark.browser
def test_an_autosave_conflict_keeps_the_typed_text_and_offers_both(live_server, browser, teachers):
    from playwright.sync_api import expect

    a, _ = teachers
    [prompt_id] = [str(p["id"]) for p in a.journal()["prompts"]]
    first = a.put({prompt_id: "versi pertama"}, version=0)["version"]
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="id-ID", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    login(page, live_server.url, TEACHER_A)
    page.goto(f"{live_server.url}/sertifikasi/modul/{a.module_id}/jurnal/")
    expect(page.locator("textarea").first).to_have_value("versi pertama")

    # Another device saves first; then the typed text's autosave meets a conflict.
    a.put({prompt_id: "ditulis di ponsel"}, version=first)
    page.locator("textarea").first.fill("ditulis di laptop")
    expect(page.get_by_test_id("journal-conflict")).to_be_visible(timeout=15000)
    expect(page.locator("textarea").first).to_have_value("ditulis di laptop")
    expect(page.get_by_test_id("saved-1")).to_be_visible()
    expect(page.get_by_test_id("saved-1")).to_contain_text("ditulis di ponsel")
    page.screenshot(path=str(ARTIFACTS / "journal-conflict.png"), full_page=True)
    assert a.journal()["answers"] == {prompt_id: "ditulis di ponsel"}  # nothing overwritten

    # Keeping the typed text saves it on purpose.
    page.get_by_test_id("keep-mine").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("Draf tersimpan", timeout=15000)
    expect(page.get_by_test_id("journal-conflict")).to_be_hidden()
    assert a.journal()["answers"] == {prompt_id: "ditulis di laptop"}
    context.close()


@pytest.mark.browser
def test_choosing_the_saved_version_after_a_conflict(live_server, browser, teachers):
    from playwright.sync_api import expect

    a, _ = teachers
    [prompt_id] = [str(p["id"]) for p in a.journal()["prompts"]]
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    login(page, live_server.url, TEACHER_A)
    page.goto(f"{live_server.url}/sertifikasi/modul/{a.module_id}/jurnal/")
    a.put({prompt_id: "ditulis di ponsel"}, version=0)
    page.locator("textarea").first.fill("ditulis di laptop")
    expect(page.get_by_test_id("journal-conflict")).to_be_visible(timeout=15000)
    page.get_by_test_id("use-saved").click()
    expect(page.locator("textarea").first).to_have_value("ditulis di ponsel")
    expect(page.get_by_test_id("journal-conflict")).to_be_hidden()
    assert a.journal()["answers"] == {prompt_id: "ditulis di ponsel"}
    context.close()


@pytest.mark.browser
def test_a_conflicting_form_post_redirects_and_a_reload_sends_nothing_again(live_server, browser, teachers):
    """The form is sent (not the autosave) while another device has saved: the page after the redirect shows the
    typed text, the newer saved text and the reason; reloading it is a plain GET, with nothing posted again."""
    from playwright.sync_api import expect

    a, _ = teachers
    [prompt_id] = [str(p["id"]) for p in a.journal()["prompts"]]
    first = a.put({prompt_id: "versi pertama"}, version=0)["version"]
    context = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 800})
    page = context.new_page()
    login(page, live_server.url, TEACHER_A)
    page.goto(f"{live_server.url}/sertifikasi/modul/{a.module_id}/jurnal/")
    a.put({prompt_id: "ditulis di ponsel"}, version=first)
    posts, dialogs = [], []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator("textarea").first.fill(TEXT_A)
    page.get_by_test_id("submit-journal").click()  # before the autosave's pause: the form post meets the conflict
    expect(page.get_by_test_id("journal-conflict")).to_be_visible()
    assert len(posts) == 1 and page.url.endswith("/jurnal/")

    response = page.reload()
    assert response.request.method == "GET" and response.status == 200
    assert len(posts) == 1 and dialogs == []
    expect(page.get_by_test_id("journal-conflict")).to_be_visible()
    expect(page.get_by_test_id("journal-conflict")).to_contain_text("Jurnal ini sudah disimpan dari jendela")
    expect(page.locator("textarea").first).to_have_value(TEXT_A)
    expect(page.get_by_test_id("saved-1")).to_contain_text("ditulis di ponsel")
    page.screenshot(path=str(ARTIFACTS / "journal-conflict-after-reload.png"), full_page=True)
    assert a.journal()["answers"] == {prompt_id: "ditulis di ponsel"}  # nothing overwritten

    # Keeping the typed text is a deliberate post with the newer version; the stash goes with it.
    page.get_by_test_id("keep-mine").click()
    expect(page.get_by_test_id("journal-conflict")).to_be_hidden()
    assert a.journal()["answers"] == {prompt_id: TEXT_A}
    page.reload()
    expect(page.locator("textarea").first).to_have_value(TEXT_A)
    expect(page.get_by_test_id("journal-conflict")).to_be_hidden()
    context.close()
