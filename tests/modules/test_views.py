"""Learning pages: the dashboard and its gate, materi pages (Markdown, escaping), mark-done, window states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.modules.curriculum_file import import_curriculum
from lms.modules.models import MateriProgress
from tests.learning import curriculum_data, log_in

EMAIL = "guru.satu@guru.sd.belajar.id"
AFTER = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 Dec 2026 00:00 WIB
BEFORE = datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC)  # 31 Oct 2026 23:59:59 WIB


class Page:
    """A logged-in participant's browser, with the curriculum's ids from the progress API."""

    def __init__(self, app, learning, curriculum_id=None):
        self.app = app
        learning.participant(cohort_id=learning.cohort(curriculum_id=curriculum_id or learning.curriculum()))
        self.modules = app.test_client().get("/api/v1/me/progress",
                                             headers=learning.headers(EMAIL)).get_json()["modules"]
        self.client = log_in(app, EMAIL)

    def materi_id(self, module=0, k=0) -> int:
        return self.modules[module]["materi"][k]["id"]

    def done(self) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(MateriProgress))


@pytest.fixture
def page(app, learning, during):
    app.config["WTF_CSRF_ENABLED"] = False
    return Page(app, learning)


def test_dashboard_shows_the_cohort_progress_and_every_module(page):
    response = page.client.get("/sertifikasi/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Angkatan UJI-1" in html
    assert 'data-testid="percent">0%<' in html
    for module in page.modules:
        assert f'data-testid="module-{module["id"]}"' in html and module["title"] in html

    for k in range(2):
        page.client.post(f"/sertifikasi/materi/{page.materi_id(0, k)}/selesai")
    html = page.client.get("/sertifikasi/").get_data(as_text=True)
    assert 'data-testid="percent">25%<' in html  # 2 of 8 parts
    assert "Materi: 2/2" in html and "Materi: 0/2" in html


def test_a_non_participant_sees_the_gate_with_403(app, learning, during):
    learning.token("bukan.peserta@guru.sd.belajar.id")  # creates the account
    client = log_in(app, "bukan.peserta@guru.sd.belajar.id")
    response = client.get("/sertifikasi/")
    assert response.status_code == 403
    assert 'data-testid="gate"' in response.get_data(as_text=True)


def test_the_gate_also_guards_materi_pages(app, learning, page):
    learning.token("bukan.peserta@guru.sd.belajar.id")
    client = log_in(app, "bukan.peserta@guru.sd.belajar.id")
    response = client.get(f"/sertifikasi/materi/{page.materi_id()}")
    assert response.status_code == 403 and 'data-testid="gate"' in response.get_data(as_text=True)
    assert client.post(f"/sertifikasi/materi/{page.materi_id()}/selesai").status_code == 403
    assert page.done() == 0


@pytest.mark.parametrize("path", ["/sertifikasi/", "/sertifikasi/modul/1", "/sertifikasi/materi/1"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_materi_page_renders_markdown(page):
    response = page.client.get(f"/sertifikasi/materi/{page.materi_id()}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Materi 1.1</h1>" in html and "<strong>materi</strong>" in html
    assert 'data-testid="mark-done"' in html


def test_materi_page_escapes_raw_html(app, learning, during):
    data = curriculum_data(code="KUR-XSS")
    data["modules"][0]["materi"][0]["body_md"] = (
        "Awal **tebal**\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[klik](javascript:alert(3))")
    with app.app_context():
        curriculum, _ = import_curriculum(data)
        db.session.commit()
        curriculum_id = curriculum.id
    page = Page(app, learning, curriculum_id)
    html = page.client.get(f"/sertifikasi/materi/{page.materi_id()}").get_data(as_text=True)
    assert "<strong>tebal</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html and 'href="javascript:' not in html


def test_marking_done_goes_to_the_next_materi_then_to_the_posttest(page):
    first, second = page.materi_id(0, 0), page.materi_id(0, 1)
    response = page.client.post(f"/sertifikasi/materi/{first}/selesai")
    assert response.status_code == 302 and response.headers["Location"] == f"/sertifikasi/materi/{second}"
    response = page.client.post(f"/sertifikasi/materi/{second}/selesai")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sertifikasi/modul/{page.modules[0]['id']}/post-test/"
    assert page.done() == 2
    html = page.client.get(f"/sertifikasi/materi/{first}").get_data(as_text=True)
    assert 'data-testid="materi-done"' in html and 'data-testid="mark-done"' not in html


def test_before_the_window_opens_module_and_materi_pages_are_locked(page, frozen_clock):
    frozen_clock(BEFORE)
    assert page.client.get(f"/sertifikasi/modul/{page.modules[0]['id']}").status_code == 423
    assert page.client.get(f"/sertifikasi/materi/{page.materi_id()}").status_code == 423
    assert page.client.post(f"/sertifikasi/materi/{page.materi_id()}/selesai").status_code == 423
    assert page.done() == 0


def test_after_the_window_materi_stay_readable_but_cannot_be_marked_done(page, frozen_clock):
    frozen_clock(AFTER)
    assert page.client.get(f"/sertifikasi/modul/{page.modules[0]['id']}").status_code == 200
    response = page.client.get(f"/sertifikasi/materi/{page.materi_id()}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Materi 1.1</h1>" in html and 'data-testid="mark-done"' not in html
    assert page.client.post(f"/sertifikasi/materi/{page.materi_id()}/selesai").status_code == 423
    assert page.done() == 0
