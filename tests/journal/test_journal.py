"""Learning journals: shape, drafts, submission with minimum lengths, revisions, versions, locks and windows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from lms.auth.models import User
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.posttest.models import Question
from lms.progress.models import ProgressSummary
from tests.learning import DURING, ApiParticipant, log_in

EMAIL = "guru.satu@guru.sd.belajar.id"
AFTER = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 Dec 2026 00:00 WIB
LONG = "Saya belajar banyak tentang peserta didik."  # 42 characters, over the minimum of 20
LONG2 = "Saya akan mencoba diskusi kelompok kecil."


class Participant(ApiParticipant):
    def take_posttest(self, index=0):
        with self.app.app_context():
            questions = db.session.scalars(select(Question).where(Question.module_id == self.module_id(index))).all()
            answers = {str(q.id): q.options[0].id for q in questions}
        response = self.client.post(f"/api/v1/posttests/{self.module_id(index)}/attempts",
                                    json={"answers": answers}, headers=self.headers)
        assert response.status_code == 201

    def get(self, index=0):
        return self.client.get(f"/api/v1/journals/{self.module_id(index)}", headers=self.headers)

    def put(self, answers, submit=False, index=0, **extra):
        return self.client.put(f"/api/v1/journals/{self.module_id(index)}", headers=self.headers,
                               json={"answers": answers, "submit": submit, **extra})

    def prompt_ids(self, index=0) -> list[str]:
        return [str(p["id"]) for p in self.get(index).get_json()["prompts"]]

    def entries(self) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count(JournalEntry.id)))


def test_get_shape_and_status_from_empty_to_draft_to_submitted(ready):
    body = ready.get().get_json()
    assert [p["text"] for p in body["prompts"]] == ["Refleksi 1.1", "Refleksi 1.2"]
    assert all(set(p) >= {"id", "text", "min_length"} and p["min_length"] == 20 for p in body["prompts"])
    assert body["answers"] == {} and body["status"] == "empty"
    p1, p2 = ready.prompt_ids()

    assert ready.put({p1: LONG}).status_code == 200
    body = ready.get().get_json()
    assert body["status"] == "draft" and body["answers"] == {p1: LONG}

    assert ready.put({p2: LONG2}, submit=True).status_code == 200
    body = ready.get().get_json()
    assert body["status"] == "submitted" and body["answers"] == {p1: LONG, p2: LONG2}


def test_a_draft_needs_no_minimum_length(ready):
    p1, _ = ready.prompt_ids()
    response = ready.put({p1: "Baru"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "draft" and body["answers"] == {p1: "Baru"}
    assert ready.progress()["modules"][0]["journal"]["done"] is False


def test_too_short_submission_is_refused_but_the_draft_is_saved(ready):
    p1, p2 = ready.prompt_ids()
    response = ready.put({p1: LONG, p2: "  Terlalu pendek  "}, submit=True)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and body["message"]
    assert set(body["errors"]) == {p2} and "20" in body["errors"][p2]
    assert body["draft_saved"] is True and body["status"] == "draft"
    saved = ready.get().get_json()
    assert saved["answers"] == {p1: LONG, p2: "  Terlalu pendek  "} and saved["status"] == "draft"
    assert ready.progress()["modules"][0]["journal"]["done"] is False


def test_valid_submission_marks_the_journal_done(ready):
    p1, p2 = ready.prompt_ids()
    response = ready.put({p1: LONG, p2: LONG2}, submit=True)
    assert response.status_code == 200
    assert response.get_json()["status"] == "submitted"
    module = ready.progress()["modules"][0]
    assert module["journal"]["done"] is True and module["complete"] is True


def test_revision_after_submission_stays_submitted_until_resubmitted(ready):
    p1, p2 = ready.prompt_ids()
    ready.put({p1: LONG, p2: LONG2}, submit=True)
    revised = LONG2 + " Dan saya menambahkan catatan."
    body = ready.put({p2: revised}).get_json()
    assert body["status"] == "submitted" and body["has_unsubmitted_changes"] is True
    body = ready.get().get_json()
    assert body["answers"][p2] == revised and body["has_unsubmitted_changes"] is True
    assert ready.progress()["modules"][0]["journal"]["done"] is True

    # A too-short revision submitted is refused and the earlier submission still counts.
    assert ready.put({p1: "pendek"}, submit=True).status_code == 422
    body = ready.get().get_json()
    assert body["status"] == "submitted" and body["has_unsubmitted_changes"] is True

    body = ready.put({p1: LONG}, submit=True).get_json()
    assert body["status"] == "submitted" and body["has_unsubmitted_changes"] is False
    with ready.app.app_context():
        entry = db.session.scalar(select(JournalEntry))
        assert entry.submitted_answers == {p1: LONG, p2: revised}


def test_a_stale_version_is_refused_and_overwrites_nothing(ready):
    p1, _ = ready.prompt_ids()
    first = ready.put({p1: "tab satu"}).get_json()["version"]
    second = ready.put({p1: "tab satu, lebih baru"}, version=first).get_json()["version"]
    assert second > first
    response = ready.put({p1: "tab dua yang lama"}, version=first)
    assert response.status_code == 409
    assert response.get_json()["code"] == "version_conflict" and response.get_json()["message"]
    body = ready.get().get_json()
    assert body["answers"] == {p1: "tab satu, lebih baru"} and body["version"] == second


@pytest.mark.parametrize("foreign", ["other_module", "unknown"])
def test_an_unknown_prompt_is_refused_and_nothing_saved(ready, foreign):
    p1, _ = ready.prompt_ids()
    if foreign == "other_module":
        ready.finish_materi(1)
        ready.take_posttest(1)
        bad = ready.prompt_ids(1)[0]
    else:
        bad = "999999"
    response = ready.put({p1: LONG, bad: LONG})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and bad in body["errors"]
    assert ready.entries() == 0
    assert ready.get().get_json()["status"] == "empty"


def test_saving_is_refused_after_the_window_and_the_draft_is_unchanged(ready, frozen_clock):
    p1, _ = ready.prompt_ids()
    ready.put({p1: "draf sebelum tutup"})
    frozen_clock(AFTER)
    response = ready.put({p1: "draf sesudah tutup"})
    assert response.status_code == 423
    assert response.get_json()["code"] == "window_closed"
    assert ready.put({p1: LONG}, submit=True).status_code == 423
    body = ready.get().get_json()
    assert body["answers"] == {p1: "draf sebelum tutup"} and body["status"] == "draft"


def test_journal_is_locked_until_the_posttest_is_done(participant):
    participant.finish_materi()
    response = participant.client.get(f"/api/v1/journals/{participant.module_id()}", headers=participant.headers)
    assert response.status_code == 409 and response.get_json()["code"] == "not_unlocked"
    response = participant.put({"1": LONG})
    assert response.status_code == 409 and response.get_json()["code"] == "not_unlocked"
    assert participant.entries() == 0


def test_form_post_with_a_too_short_answer_keeps_the_typed_text(app, ready):
    client = page_client(app)
    p1, p2 = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    assert client.get(url).status_code == 200
    response = client.post(url, data={f"p{p1}": LONG, f"p{p2}": "Masih singkat", "action": "submit", "version": ""})
    # POST-redirect-GET: the draft is saved, the page shows it with the reasons; a reload re-sends nothing.
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'<textarea[^>]*name="p{p2}"[^>]*>Masih singkat</textarea>', page)
    assert re.search(rf'<textarea[^>]*name="p{p1}"[^>]*>{LONG}</textarea>', page)
    assert 'data-testid="journal-error"' in page
    assert ready.get().get_json()["answers"] == {p1: LONG, p2: "Masih singkat"}
    reloaded = client.get(url).get_data(as_text=True)  # the reasons were shown once; no 409 on reload
    assert 'data-testid="journal-error"' not in reloaded and "journal-conflict\" data-conflict-banner>" not in reloaded


def test_after_a_journal_the_teacher_lands_on_the_next_step(app, ready):
    client = page_client(app)
    p1, p2 = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    client.get(url)
    response = client.post(url, data={f"p{p1}": LONG, f"p{p2}": LONG2, "action": "submit", "version": ""})
    assert response.status_code in (302, 303)
    assert "/sertifikasi/materi/" in response.headers["Location"]  # the next module's first materi
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lanjutkan ke langkah berikutnya" in page


def page_client(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return log_in(app, EMAIL)


def test_form_post_of_a_stale_version_keeps_the_typed_text_beside_the_newer_saved_one(app, ready):
    client = page_client(app)
    p1, p2 = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    first = ready.put({p1: "versi awal"}).get_json()["version"]
    page = client.get(url).get_data(as_text=True)
    assert f'name="version" value="{first}"' in page
    newer = ready.put({p1: "ditulis di perangkat lain"}, version=first).get_json()["version"]

    response = client.post(url, data={f"p{p1}": "teks yang saya ketik", f"p{p2}": "jawaban kedua",
                                      "action": "draft", "version": str(first)})
    # POST-redirect-GET: the typed text waits on the server for the page the refusal redirects to.
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    # Both texts are on the page: the typed one still in the box, the newer saved one beside it.
    assert re.search(rf'<textarea[^>]*name="p{p1}"[^>]*>teks yang saya ketik</textarea>', page)
    assert re.search(rf'<textarea[^>]*name="p{p2}"[^>]*>jawaban kedua</textarea>', page)
    assert re.search(r'data-testid="saved-1"\s*>.*?<pre data-saved-text>ditulis di perangkat lain</pre>', page, re.S)
    assert re.search(r'data-testid="journal-conflict" data-conflict-banner\s*>', page)  # shown, not hidden
    assert 'data-testid="keep-mine"' in page and 'data-testid="use-saved"' in page
    # Nothing was written, and the form now carries the newer version.
    body = ready.get().get_json()
    assert body["answers"] == {p1: "ditulis di perangkat lain"} and body["version"] == newer
    assert f'name="version" value="{newer}"' in page

    # Keeping the typed text is a deliberate second save with the newer version.
    kept = client.post(url, data={f"p{p1}": "teks yang saya ketik", f"p{p2}": "jawaban kedua",
                                  "action": "draft", "version": str(newer)})
    assert kept.status_code == 303
    assert ready.get().get_json()["answers"] == {p1: "teks yang saya ketik", p2: "jawaban kedua"}
    page = client.get(url).get_data(as_text=True)  # saved: the stashed text is gone, no conflict any more
    assert re.search(r'data-testid="journal-conflict" data-conflict-banner\s*hidden', page)


def test_form_post_creating_the_entry_conflicts_when_another_tab_created_it(app, ready):
    client = page_client(app)
    p1, _ = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    assert 'name="version" value="0"' in client.get(url).get_data(as_text=True)
    ready.put({p1: "tab lain lebih dulu"})
    response = client.post(url, data={f"p{p1}": "tab ini", "action": "draft", "version": "0"})
    assert response.status_code == 303
    assert ready.get().get_json()["answers"] == {p1: "tab lain lebih dulu"}
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'<textarea[^>]*name="p{p1}"[^>]*>tab ini</textarea>', page)
    assert re.search(r'data-testid="saved-1"\s*>.*?<pre data-saved-text>tab lain lebih dulu</pre>', page, re.S)


def test_api_version_zero_means_no_entry_yet(ready):
    p1, _ = ready.prompt_ids()
    assert ready.put({p1: "pertama"}, version=0).get_json()["version"] == 1
    response = ready.put({p1: "juga pertama"}, version=0)
    assert response.status_code == 409 and response.get_json()["code"] == "version_conflict"
    assert ready.get().get_json()["answers"] == {p1: "pertama"}


def test_the_page_keys_browser_drafts_by_an_opaque_account_key(app, ready):
    page = page_client(app).get(f"/sertifikasi/modul/{ready.module_id()}/jurnal/").get_data(as_text=True)
    owner = re.search(r'data-owner="([0-9a-f]{20})"', page)
    assert owner and EMAIL not in owner.group(0)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == EMAIL))
    assert owner.group(1) != str(user_id)


@pytest.mark.parametrize(("body", "field"), [
    ({"answers": {"P1": "x" * 20_001}}, "answers.P1"),
    ({"answers": {"P1": {}}}, "answers.P1"),
    ({"answers": {"P1": 7}}, "answers.P1"),
    ({"answers": ["teks"]}, "answers"),
    ({"answers": {"P1": "teks"}, "submit": "true"}, "submit"),
    ({"answers": {"P1": "teks"}, "version": "1"}, "version"),
    ({"answers": {"P1": "teks"}, "version": -1}, "version"),
    ({"answers": {"P1": "teks"}, "extra": 1}, "extra"),
])
def test_malformed_or_over_long_input_is_422_and_changes_nothing(ready, body, field):
    p1, _ = ready.prompt_ids()
    ready.put({p1: "draf awal"})
    body = {**body, "answers": ({p1 if k == "P1" else k: v for k, v in body["answers"].items()}
                                if isinstance(body["answers"], dict) else body["answers"])}
    response = ready.client.put(f"/api/v1/journals/{ready.module_id()}", headers=ready.headers, json=body)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["code"] == "invalid" and set(payload["errors"]) == {field.replace("P1", p1)}
    assert "draft_saved" not in payload
    saved = ready.get().get_json()
    assert saved["answers"] == {p1: "draf awal"} and saved["version"] == 1


def test_an_answer_of_exactly_the_maximum_length_is_saved(ready):
    p1, _ = ready.prompt_ids()
    assert ready.put({p1: "x" * 20_000}).status_code == 200
    assert len(ready.get().get_json()["answers"][p1]) == 20_000


def test_form_post_of_an_over_long_answer_redirects_keeps_the_typed_text_and_saves_nothing(app, ready):
    client = page_client(app)
    p1, p2 = ready.prompt_ids()
    url = f"/sertifikasi/modul/{ready.module_id()}/jurnal/"
    assert 'maxlength="20000"' in client.get(url).get_data(as_text=True)
    too_long = "panjang " * 2_501  # 20,008 characters
    response = client.post(url, data={f"p{p1}": too_long, f"p{p2}": "jawaban kedua", "action": "draft",
                                      "version": "0"})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'<textarea[^>]*name="p{p1}"[^>]*>{too_long}</textarea>', page)
    assert re.search(rf'<textarea[^>]*name="p{p2}"[^>]*>jawaban kedua</textarea>', page)
    assert 'data-testid="journal-error"' in page and "Draf Anda sudah tersimpan" not in page
    assert ready.entries() == 0


#: A draft autosave on PostgreSQL: the token with the current enrollment, and one write that merges the draft into
#: the entry (no read of the entry first; no read of the module or of the participant's progress: the prompts and the
#: unlock rule come with the cached curriculum structure, the rule as a condition of the write) and records the last
#: activity in the progress read model (a data-modifying CTE).
AUTOSAVE_STATEMENTS = 2
#: SQLite (no data-modifying CTEs): the read model's UPDATE is a statement of its own.
AUTOSAVE_STATEMENTS_SQLITE = 3
#: A submission: the same, the entry read and its conditional write, the read model's count, and the completion
#: check.
SUBMIT_STATEMENTS = 7


def test_a_draft_autosave_sends_a_fixed_number_of_statements_and_one_write(app, ready):
    from lms.modules import schemas
    from tests.queries import counted, writes

    p1, p2 = ready.prompt_ids()
    assert ready.put({p1: LONG}).status_code == 200  # the entry exists from here on
    with app.app_context():  # forget the activity so far: the draft's own must be recorded
        done = db.session.scalars(select(ProgressSummary.parts_done)).all()
        db.session.execute(update(ProgressSummary).values(last_activity_at=None))
        db.session.commit()
    with counted(app) as statements:
        response = ready.put({p2: LONG2})
    assert response.status_code == 200 and response.get_json()["answers"] == {p1: LONG, p2: LONG2}
    # The prepared answer is exactly what the declared schema would dump.
    body = response.get_json()
    assert schemas.Journal().validate(body) == {} and schemas.Journal().dump(body) == body
    # One upsert (no read of the entry, no re-read, no completion check), and the last activity in the progress
    # read model: in the same statement on PostgreSQL.
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        assert len(statements) <= AUTOSAVE_STATEMENTS, statements
        assert not writes(statements) and "INSERT INTO journal_entries" in statements[-1] \
            and "UPDATE progress_summary" in statements[-1], statements
    else:
        assert len(statements) <= AUTOSAVE_STATEMENTS_SQLITE, statements
        assert [s.split()[:2] for s in writes(statements)] == [["INSERT", "INTO"], ["UPDATE", "progress_summary"]], \
            statements
    with app.app_context():  # the activity, and nothing counted as done by a draft
        assert db.session.execute(select(ProgressSummary.parts_done, ProgressSummary.last_activity_at)).all() == \
            [(done[0], DURING)], done
    with counted(app) as statements:
        response = ready.put({p1: LONG, p2: LONG2}, submit=True)
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    assert len(statements) <= SUBMIT_STATEMENTS, statements  # a submission also re-checks completion
