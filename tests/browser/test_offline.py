"""In Chromium, without a connection: a stored module is read offline, a materi marked done and a journal saved
offline wait in the queue and reach the server once when the connection returns; work arriving after the window
closed is refused with its text kept on the page; logout deletes the stored pages and the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.core.idempotency import IdempotencyKey
from lms.extensions import db
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt
from tests.browser.conftest import login
from tests.browser.test_shared_computer import TEACHER_A, Teacher
from tests.conftest import ARTIFACTS
from tests.learning import DURING, Learning

TEXT = "Refleksi yang saya tulis di ponsel tanpa sinyal, tentang kelompok belajar kecil di kelas lima."
OFFLINE_TEXT = "Perbaikan refleksi yang saya ketik di bus, tanpa sinyal sama sekali."
OTHER_DEVICE = "Perbaikan dari laptop sekolah yang tersimpan lebih dulu."
LATE = "Tambahan yang baru terkirim sesudah masa pembelajaran berakhir."


READ_QUEUE = """() => new Promise((resolve) => { indexedDB.open('lms-offline').onsuccess = (e) => {
    const r = e.target.result.transaction('queue').objectStore('queue').getAll();
    r.onsuccess = () => resolve(r.result); }; })"""
RESEND = """async (queue) => { const out = []; for (const item of queue) {
    const csrf = document.querySelector('[data-offline]').dataset.csrf;
    const response = await fetch(item.url, { method: item.method,
      body: item.body ? JSON.stringify(item.body) : undefined,
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'Idempotency-Key': item.key } });
    out.push(response.headers.get('Idempotent-Replayed')); } return out; }"""


@pytest.fixture
def backend():
    """One database is enough here: the browser, not the SQL, is under test."""
    return "sqlite"


@pytest.fixture
def worker_network(monkeypatch):
    """Requests of the service worker go through BrowserContext.route (set_offline alone does not reach them)."""
    monkeypatch.setenv("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


class Connection:
    """Offline for the page (set_offline) and for the service worker (its requests aborted)."""

    def __init__(self, context):
        self.context, self.offline = context, False
        context.route("**/*", lambda route: route.abort("internetdisconnected") if self.offline else route.continue_())

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self.context.set_offline(offline)


@pytest.fixture
def teacher(live_server, frozen_clock):
    """Module 1: materi and post-test done (its journal open); module 2 untouched."""
    frozen_clock(DURING)
    learning = Learning(live_server.app)
    cohort_id = learning.cohort(curriculum_id=learning.curriculum(prompts=1, materi=2))
    return Teacher(live_server.app, learning, TEACHER_A, cohort_id)


def count(app, *what) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(*what))


def stored(page) -> dict:
    return page.evaluate("""async () => ({
        caches: (await caches.keys()).filter((k) => k.startsWith('lms-')),
        databases: (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('lms-')) })""")


@pytest.mark.browser
def test_offline_work_is_queued_sent_once_and_logout_clears_it(worker_network, live_server, browser, teacher,
                                                                frozen_clock):
    from playwright.sync_api import expect

    app, base = live_server.app, live_server.url
    context = browser.new_context(locale="id-ID", service_workers="allow")
    context.clock.set_system_time(DURING)
    network = Connection(context)
    page = context.new_page()
    login(page, base, TEACHER_A)
    module_2 = teacher.client.get("/api/v1/me/progress", headers=teacher.headers).get_json()["modules"][1]
    first, second = (m["id"] for m in module_2["materi"])
    journal_url = f"{base}/sertifikasi/modul/{teacher.module_id}/jurnal/"

    # Online: the journal is opened once, and module 2 is stored for offline, its size shown first.
    page.goto(journal_url)
    expect(page.get_by_test_id("offline-line")).to_have_text("Semua perubahan tersimpan")
    # The service worker registered on the page login lands on; a page is controlled once it is active (a page
    # loaded while it was still installing is controlled from its next load).
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()  # loaded under the worker: the worker keeps this copy
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.locator("textarea").first).to_be_visible()
    page.goto(f"{base}/sertifikasi/modul/{teacher.module_id}/post-test/")  # a retake, kept by the worker
    page.goto(f"{base}/sertifikasi/modul/{module_2['id']}")
    expect(page.get_by_test_id("store-offline")).to_contain_text(" KB)")
    page.get_by_test_id("store-offline").click()
    expect(page.get_by_test_id("store-offline")).to_have_text("Tersimpan untuk offline: 3 halaman")
    before = count(app, MateriProgress), count(app, Attempt)

    # Offline: a materi never opened is read from the store; marking done and a journal draft are queued.
    network.set_offline(True)
    page.goto(f"{base}/sertifikasi/ukppg/")  # never opened: not stored
    expect(page.locator("body")).to_contain_text("belum tersimpan di perangkat ini")
    page.goto(f"{base}/sertifikasi/materi/{second}")
    expect(page.get_by_test_id("materi-body")).to_contain_text("Materi 2.2")
    page.goto(f"{base}/sertifikasi/materi/{first}")
    page.get_by_test_id("mark-done").click()
    expect(page.get_by_test_id("offline-queued")).to_be_visible()
    page.goto(f"{base}/sertifikasi/modul/{teacher.module_id}/post-test/")
    for question in page.get_by_test_id("question").all():
        question.locator("input[type=radio]").last.check()
    page.get_by_test_id("submit-posttest").click()
    expect(page.get_by_test_id("offline-queued")).to_be_visible()
    page.goto(journal_url)
    page.locator("textarea").first.fill(TEXT)
    page.get_by_role("button", name="Simpan draf").click()
    page.get_by_test_id("submit-journal").click()  # the submission replaces the unsent draft
    expect(page.get_by_test_id("offline-line")).to_have_text("Offline — 3 perubahan menunggu dikirim")
    page.screenshot(path=str(ARTIFACTS / "offline-pending.png"), full_page=True)
    queue = page.evaluate(READ_QUEUE)
    assert [item["kind"] for item in queue] == ["materi", "posttest", "journal"] and queue[2]["body"]["submit"]
    assert (count(app, MateriProgress), count(app, Attempt)) == before and teacher.journal()["status"] == "empty"

    # Online again: each reaches the server once, in order.
    network.set_offline(False)
    expect(page.get_by_test_id("offline-line")).to_have_text("Semua perubahan tersimpan")
    after = (before[0] + 1, before[1] + 1)
    assert (count(app, MateriProgress), count(app, Attempt)) == after and count(app, IdempotencyKey) == 3
    journal = teacher.journal()
    assert list(journal["answers"].values()) == [TEXT] and journal["status"] == "submitted" and journal["version"] == 1
    # The whole queue sent again (a lost answer, a second tab): the first answers come back, nothing changes.
    assert page.evaluate(RESEND, queue) == ["true"] * 3
    assert (count(app, MateriProgress), count(app, Attempt), count(app, IdempotencyKey)) == (*after, 3)
    assert teacher.journal()["version"] == 1

    # A journal saved elsewhere meanwhile: both texts are kept, as for a conflict online.
    network.set_offline(True)
    page.locator("textarea").first.fill(OFFLINE_TEXT)
    page.get_by_role("button", name="Simpan draf").click()
    [prompt_id] = journal["answers"]
    teacher.put({prompt_id: OTHER_DEVICE}, version=1)
    network.set_offline(False)
    expect(page.get_by_test_id("offline-problem")).to_contain_text("diubah di perangkat lain")
    page.get_by_role("link", name="Buka jurnal").click()
    expect(page.get_by_test_id("journal-conflict")).to_be_visible()
    expect(page.locator("textarea").first).to_have_value(OFFLINE_TEXT)
    expect(page.locator("[data-saved-text]").first).to_have_text(OTHER_DEVICE)
    assert list(teacher.journal()["answers"].values()) == [OTHER_DEVICE]

    # In the last 24 hours of the window, offline work carries a warning; after the window, it is refused and
    # the text stays on the page with a copy button.
    context.clock.set_system_time(DURING.replace(day=30, hour=14))
    network.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("offline-deadline")).to_be_visible()
    page.locator("textarea").first.fill(LATE)
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_test_id("offline-line")).to_have_text("Offline — 1 perubahan menunggu dikirim")
    frozen_clock(DURING.replace(day=30, hour=17) + timedelta(minutes=1))
    network.set_offline(False)
    expect(page.get_by_test_id("offline-problem")).to_contain_text("sudah berakhir")
    expect(page.get_by_test_id("offline-line")).to_contain_text("1 perubahan tidak terkirim")
    expect(page.get_by_test_id("offline-queued")).to_have_count(0)
    expect(page.get_by_test_id("offline-text")).to_have_value(LATE)
    expect(page.get_by_test_id("offline-copy")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "offline-refused.png"), full_page=True)
    assert teacher.journal()["answers"] == {prompt_id: OTHER_DEVICE}

    # Logout deletes the stored pages and the queue.
    assert stored(page) == {"caches": ["lms-v1"], "databases": ["lms-offline"]}
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("logged-out")).to_be_visible()
    page.wait_for_function("async () => (await caches.keys()).length === 0")
    assert stored(page) == {"caches": [], "databases": []}

    # Data left by another account (its session ended without logout) is deleted when this one opens a page.
    login(page, base, TEACHER_A)
    page.goto(journal_url)
    expect(page.get_by_test_id("offline-line")).to_have_text("Semua perubahan tersimpan")
    page.evaluate("""async () => { await (await caches.open('lms-v1')).put('/sertifikasi/lain', new Response('x'));
        await new Promise((resolve) => { indexedDB.open('lms-offline').onsuccess = (e) => {
          const t = e.target.result.transaction(['meta', 'queue'], 'readwrite');
          t.objectStore('meta').put('akun-lain', 'owner');
          t.objectStore('queue').put({ kind: 'journal', state: 'refused', text: 'milik akun lain', message: '' });
          t.oncomplete = () => { e.target.result.close(); resolve(); }; }; }); }""")
    page.reload()
    expect(page.get_by_test_id("offline-line")).to_have_text("Semua perubahan tersimpan")
    expect(page.get_by_test_id("offline-problem")).to_have_count(0)
    assert not page.evaluate("async () => !!(await caches.match('/sertifikasi/lain'))")
    context.close()
