"""Reading offline: the service worker and manifest from the root, the status line of teacher pages, a module's
pages to store with their sizes, and the size budget of the teacher scripts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.modules.curriculum_file import import_curriculum
from tests.learning import curriculum_data, log_in

STATIC = Path(__file__).parents[2] / "lms" / "static"
#: The service worker and every script a teacher page loads (uncompressed).
TEACHER_SCRIPTS = ("sw.js", "offline.js", "journal.js", "session.js", "app.js", "nav.js")
GURU = "guru.satu@guru.sd.belajar.id"


@pytest.fixture
def teacher(app, learning, during):
    learning.participant(GURU)
    return log_in(app, GURU)


def test_the_service_worker_and_all_teacher_javascript_stay_within_30_kb():
    total = sum((STATIC / name).stat().st_size for name in TEACHER_SCRIPTS)
    assert total <= 30 * 1024, total


def test_the_teacher_pages_load_only_these_scripts(app, teacher):
    page = teacher.get("/sertifikasi/").get_data(as_text=True)
    scripts = {Path(src.split("?")[0]).name for src in re.findall(r'<script src="([^"]+)"', page)}
    assert scripts <= set(TEACHER_SCRIPTS) and "offline.js" in scripts
    assert "<script>" not in page  # no inline script: the CSP stays "script-src 'self'"


def test_the_service_worker_is_served_from_the_root_and_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/" and response.headers["Cache-Control"] == "no-cache"
    assert b"addEventListener(\"fetch\"" in response.data


def test_the_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["start_url"] == "/sertifikasi/" and manifest["scope"] == "/" and manifest["icons"]


def test_teacher_pages_carry_the_status_line_and_others_do_not(app, teacher):
    page = teacher.get("/sertifikasi/").get_data(as_text=True)
    assert 'data-testid="offline-status"' in page and 'rel="manifest"' in page
    status = re.search(r"data-msgs='([^']+)'", page).group(1)
    assert "Semua perubahan tersimpan" in status
    assert re.search(r'data-version="1" data-closes="2026-11-3\d', page)
    home = log_in(app, "bukan.peserta@guru.sd.belajar.id").get("/").get_data(as_text=True)
    assert "offline-status" not in home and "offline.js" not in home


def test_the_status_lines_messages_are_their_tojson_made_once_per_locale_and_deadline(app, teacher, monkeypatch):
    """The page writes ``messages|tojson`` as the template environment makes it, in each language; the text is
    made once per process for a locale and a deadline, not on every page."""
    from flask import render_template_string

    from lms.core.i18n import LANG_COOKIE
    from lms.modules import offline

    offline._messages_json.cache_clear()
    made = []
    real = offline.htmlsafe_json_dumps
    monkeypatch.setattr(offline, "htmlsafe_json_dumps", lambda *a, **k: made.append(1) or real(*a, **k))
    for lang in ("id", "en"):
        teacher.set_cookie(LANG_COOKIE, lang)
        pages = [teacher.get("/sertifikasi/").get_data(as_text=True) for _ in range(2)]
        written = {re.search(r"data-msgs='([^']+)'", page).group(1) for page in pages}
        with app.test_request_context("/", headers={"Cookie": f"{LANG_COOKIE}={lang}"}):
            enrollment = db.session.scalar(select(Enrollment))
            closes_at = enrollment.closes_at()
            expected = render_template_string("{{ m|tojson }}", m=offline._messages(lang, closes_at))
        assert written == {expected}, lang
    assert "Semua perubahan tersimpan" in expected or "All changes saved" in expected
    assert len(made) == 2  # once per language


def test_a_module_lists_its_pages_with_sizes_keyed_by_the_curriculum_version(app, teacher):
    module_id = teacher.get("/api/v1/me/progress").get_json()["modules"][0]["id"]
    body = teacher.get(f"/api/v1/modules/{module_id}/offline").get_json()
    assert body["curriculum_version"] == 1 and len(body["pages"]) == 3  # the module and its 2 materi
    assert body["pages"][0]["url"] == f"/sertifikasi/modul/{module_id}"
    assert body["total_bytes"] == sum(p["bytes"] for p in body["pages"]) > 0
    with app.app_context():
        import_curriculum(curriculum_data())  # the same code again: an edit bumps the version
        db.session.commit()
    module_id = teacher.get("/api/v1/me/progress").get_json()["modules"][0]["id"]
    again = teacher.get(f"/api/v1/modules/{module_id}/offline").get_json()
    assert again.get("curriculum_version") == 2, again
    assert teacher.get("/api/v1/modules/999999/offline").status_code == 404


def test_storing_a_materi_for_offline_is_not_where_the_teacher_resumes(app, teacher):
    materi = teacher.get("/api/v1/me/progress").get_json()["modules"][0]["materi"]
    assert teacher.get(f"/sertifikasi/materi/{materi[0]['id']}").status_code == 200
    assert teacher.get(f"/sertifikasi/materi/{materi[1]['id']}", headers={"Purpose": "prefetch"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Enrollment.last_materi_id)) == materi[0]["id"]
