"""Every journal form post redirects (POST-redirect-GET); text that could not be saved waits on the server for one
browser login, is shown with the reason after the redirect, and is deleted when saved, given up, at logout, or when
it expires."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from lms.auth.models import User
from lms.auth.stash import STASH_KEY, STASH_LIFETIME, FormStash
from lms.cohorts.models import Enrollment
from lms.extensions import db
from tests.journal.test_journal import EMAIL, LONG, LONG2, Participant, page_client
from tests.learning import DURING, log_in
from tests.queries import counted

OTHER = "guru.dua@guru.sd.belajar.id"


class Other(Participant):
    """A second participant of the same cohort."""

    email = OTHER

    def __init__(self, app, learning, cohort_id: int):
        self.app, self.client = app, app.test_client()
        self.enrollment_id = learning.participant(OTHER, cohort_id=cohort_id)
        self.headers = learning.headers(OTHER)
        self.modules = self.progress()["modules"]


def stashes(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FormStash))


def box(page: str, prompt: str) -> str | None:
    found = re.search(rf'<textarea[^>]*name="p{prompt}"[^>]*>(.*?)</textarea>', page, re.S)
    return found and found.group(1)


def conflict(app, ready, client, typed="teks yang saya ketik"):
    """A form post of a stale version: another device saved first."""
    p1, _ = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    first = ready.put({p1: "versi awal"}).get_json()["version"]
    ready.put({p1: "ditulis di perangkat lain"}, version=first)
    response = client.post(url, data={f"p{p1}": typed, "action": "submit", "version": str(first)})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    return url


def test_a_conflict_redirects_and_the_page_shows_the_typed_text_beside_the_saved_one_on_every_reload(app, ready):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = conflict(app, ready, client)
    for _ in range(2):  # a reload is a GET: it shows the same, and re-sends nothing
        page = client.get(url).get_data(as_text=True)
        assert box(page, p1) == "teks yang saya ketik"
        assert re.search(r'data-testid="journal-conflict" data-conflict-banner\s*>', page)
        assert re.search(r'<pre data-saved-text>ditulis di perangkat lain</pre>', page)
        assert "data-stashed" in page
    assert ready.get().get_json()["answers"] == {p1: "ditulis di perangkat lain"}  # nothing overwritten
    assert stashes(app) == 1


def test_keeping_the_typed_text_saves_it_and_deletes_the_stash(app, ready):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = conflict(app, ready, client)
    version = ready.get().get_json()["version"]
    kept = client.post(url, data={f"p{p1}": "teks yang saya ketik", "action": "draft", "version": str(version)})
    assert kept.status_code == 303
    assert ready.get().get_json()["answers"][p1] == "teks yang saya ketik"
    assert stashes(app) == 0
    with client.session_transaction() as session:
        assert session[STASH_KEY] == {}
    assert "data-stashed" not in client.get(url).get_data(as_text=True)


def test_using_the_saved_version_gives_the_typed_text_up(app, ready):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = conflict(app, ready, client)
    response = client.post(url, data={"action": "discard"})
    assert response.status_code == 303 and stashes(app) == 0
    page = client.get(url).get_data(as_text=True)
    assert box(page, p1) == "ditulis di perangkat lain" and "Versi tersimpan dipakai" in page


def test_an_over_long_answer_is_shown_again_with_its_reason_and_nothing_is_saved(app, ready):
    client = page_client(app)
    p1, p2 = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    too_long = "x" * 20_001
    response = client.post(url, data={f"p{p1}": too_long, f"p{p2}": LONG, "action": "submit", "version": "0"})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert box(page, p1) == too_long and box(page, p2) == LONG
    assert "Jawaban terlalu panjang" in page and 'data-testid="journal-error"' in page
    assert re.search(r'data-conflict-banner\s*hidden', page)  # nothing was saved since: no conflict
    assert ready.entries() == 0


def test_text_refused_after_the_window_closed_is_shown_read_only_with_the_reason(app, ready, frozen_clock):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    frozen_clock(DURING + timedelta(days=60))
    response = client.post(url, data={f"p{p1}": LONG2, "action": "draft", "version": "0"})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert box(page, p1) == LONG2 and 'data-testid="journal-refusal"' in page
    assert re.search(rf'<textarea[^>]*name="p{p1}"[^>]*readonly', page)
    assert ready.entries() == 0


def test_the_stash_is_never_shown_to_another_account_nor_to_another_login(app, ready, learning):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = conflict(app, ready, client)
    with client.session_transaction() as session:
        tokens = dict(session[STASH_KEY])
    [token] = tokens.values()
    # Another teacher on the same computer, even holding the first one's stash token in their cookie.
    with app.app_context():
        cohort = db.session.scalar(select(Enrollment.cohort_id).join(User).where(User.email == EMAIL))
    other = Other(app, learning, cohort)
    other.finish_materi()
    other.take_posttest()
    browser = log_in(app, OTHER)
    with browser.session_transaction() as session:
        session[STASH_KEY] = {f"journal:{other.enrollment_id}:{other.module_id()}": token}
    page = browser.get(f"/sertifikasi/modul/{other.module_id()}/jurnal/").get_data(as_text=True)
    assert "teks yang saya ketik" not in page and "data-stashed" not in page
    # The same teacher in another login (another browser) does not see it either.
    again = log_in(app, EMAIL)
    with again.session_transaction() as session:
        session[STASH_KEY] = tokens
    page = again.get(url).get_data(as_text=True)
    assert "teks yang saya ketik" not in page and box(page, p1) == "ditulis di perangkat lain"


def test_logout_deletes_the_logins_stash(app, ready):
    client = page_client(app)
    conflict(app, ready, client)
    assert stashes(app) == 1
    assert client.post("/auth/logout").status_code in (302, 303)
    assert stashes(app) == 0


def test_logout_everywhere_deletes_every_stash_of_the_account(app, ready):
    client = page_client(app)
    conflict(app, ready, client)
    assert client.post("/auth/logout-everywhere").status_code in (302, 303)
    assert stashes(app) == 0


def test_a_stash_expires_and_the_next_one_deletes_the_expired(app, ready, frozen_clock):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = conflict(app, ready, client)
    frozen_clock(DURING + STASH_LIFETIME + timedelta(minutes=1))
    page = client.get(url).get_data(as_text=True)
    assert box(page, p1) == "ditulis di perangkat lain"  # expired: no longer shown
    other = log_in(app, EMAIL)
    version = ready.get().get_json()["version"]
    other.post(url, data={f"p{p1}": "x" * 20_001, "action": "draft", "version": str(version)})
    assert stashes(app) == 1  # the new one; the expired one is gone


def test_the_purge_task_deletes_expired_stashes(app, ready, frozen_clock):
    from lms.auth.tasks import purge_form_stashes
    from lms.celery_init import BEAT_SCHEDULE

    conflict(app, ready, page_client(app))
    frozen_clock(DURING + STASH_LIFETIME)
    with app.app_context():
        assert purge_form_stashes() == 1
    assert stashes(app) == 0
    assert BEAT_SCHEDULE["auth-purge-form-stashes"]["task"] == purge_form_stashes.name


def test_the_usual_paths_send_no_stash_statement(app, ready):
    """Statement counts are unchanged: without a stash named in the cookie, no page touches the stash table."""
    client = page_client(app)
    p1, p2 = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    with counted(app) as statements:
        assert client.get(url).status_code == 200
        assert client.post(url, data={f"p{p1}": LONG, "action": "draft", "version": "0"}).status_code == 303
        assert client.post(url, data={f"p{p1}": LONG, f"p{p2}": LONG2, "action": "submit",
                                      "version": "1"}).status_code == 303
    assert not [s for s in statements if "form_stashes" in s], statements
    assert ready.get().get_json()["status"] == "submitted"
