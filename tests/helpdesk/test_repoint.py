"""Re-pointing a registered e-mail: the agent sees what moves (enrollment, progress, UKPPPG registration) before
confirming with the preview's fingerprint; a changed state, a taken target or a missing confirmation is refused
and changes nothing; both accounts are told; the same action moves the participant back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.extensions import db
from lms.helpdesk.models import Ticket
from lms.notifications.models import OutboxMessage
from lms.notifications.services import render
from tests.helpdesk.helpers import AGENT, NEW_ACCOUNT, ROSTER, TEACHER_B, audits, html, uid
from tests.helpdesk.repoint_helpers import finished_participant, outbox, state
from tests.learning import log_in


@pytest.fixture
def participant(desk, learning, during):
    return finished_participant(desk, learning)


def preview(desk, p, email=NEW_ACCOUNT, headers=None):
    return desk.client.get(f"/api/v1/tickets/{p.ticket_id}/repoint", query_string={"entry_id": p.entry_id,
                                                                                     "email": email},
                           headers=headers or desk.agent)


def confirm(desk, p, fingerprint, email=NEW_ACCOUNT, **extra):
    return desk.client.post(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=desk.agent,
                            json={"entry_id": p.entry_id, "email": email, "confirm": True,
                                  "fingerprint": fingerprint, **extra})


def assert_unchanged(desk, p, before):
    assert state(desk.app, p) == before
    assert audits(desk.app, "roster.repoint") == []


def assert_with(desk, p, email, headers):
    """The participant studies under ``email`` with the whole progress and the same registration."""
    app = desk.app
    with app.app_context():
        assert db.session.get(RosterEntry, p.entry_id).email == email
        enrollment = db.session.get(Enrollment, p.enrollment_id)
        assert enrollment.user_id == uid(app, email) and enrollment.cohort_id == p.cohort_id
    progress = desk.client.get("/api/v1/me/progress", headers=headers).get_json()
    assert progress["percent"] == 100 and progress["complete"] is True
    mine = desk.client.get("/api/v1/ukppg/registrations/me", headers=headers)
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json()["number"] == p.number and mine.get_json()["session_id"] == p.session_id


# --- the preview ----------------------------------------------------------------------------------------------------

def test_preview_shows_what_would_move_and_changes_nothing(desk, participant):
    p = participant
    before = state(desk.app, p)
    response = preview(desk, p, email=NEW_ACCOUNT.upper())
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()["preview"]
    assert (shown["old_email"], shown["new_email"], shown["cohort"]) == (p.old, NEW_ACCOUNT, "UJI-1")
    assert shown["enrollment_id"] == p.enrollment_id and shown["new_account_exists"] is True
    assert shown["percent"] == 100 and shown["complete"] is True and shown["parts_done"] == shown["parts_total"] > 0
    assert shown["registration"]["number"] == p.number and shown["registration"]["session_id"] == p.session_id
    assert shown["registration"]["site"] == "TUK Banda Aceh" and len(shown["fingerprint"]) == 32
    dry = desk.client.post(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=desk.agent,
                           json={"entry_id": p.entry_id, "email": NEW_ACCOUNT, "dry_run": True})
    assert dry.status_code == 200 and dry.get_json()["preview"] == shown
    assert_unchanged(desk, p, before)


def test_preview_page_then_confirm(desk, participant):
    p = participant
    desk.app.config["WTF_CSRF_ENABLED"] = False
    agent = log_in(desk.app, AGENT)
    ticket_page = html(agent.get(f"/bantuan/{p.ticket_id}"))
    assert f'action="/bantuan/{p.ticket_id}/alihkan"' in ticket_page and 'method="get"' in ticket_page
    before = state(desk.app, p)
    page = agent.get(f"/bantuan/{p.ticket_id}/alihkan", query_string={"entry_id": p.entry_id, "email": NEW_ACCOUNT})
    assert page.status_code == 200
    text = html(page)
    assert 'data-testid="repoint-preview"' in text and p.number in text and "100%" in text
    assert "TUK Banda Aceh" in text and p.old in text and NEW_ACCOUNT in text
    assert_unchanged(desk, p, before)
    fingerprint = preview(desk, p).get_json()["preview"]["fingerprint"]
    assert f'name="fingerprint" value="{fingerprint}"' in text
    done = agent.post(f"/bantuan/{p.ticket_id}/alihkan", data={"entry_id": p.entry_id, "email": NEW_ACCOUNT,
                                                               "fingerprint": fingerprint, "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/bantuan/{p.ticket_id}")
    assert_with(desk, p, NEW_ACCOUNT, p.new_headers)


# --- the move -------------------------------------------------------------------------------------------------------

def test_confirmed_move_keeps_progress_and_registration_is_audited_and_told(desk, participant):
    p = participant
    fingerprint = preview(desk, p).get_json()["preview"]["fingerprint"]
    response = confirm(desk, p, fingerprint)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["email"] == NEW_ACCOUNT and body["ticket_status"] == "selesai"
    assert body["moved"]["registration"]["number"] == p.number
    assert_with(desk, p, NEW_ACCOUNT, p.new_headers)
    assert desk.client.get("/api/v1/me", headers=p.old_headers).get_json()["participant"] is None
    [event] = audits(desk.app, "roster.repoint")
    assert event.actor_id == uid(desk.app, AGENT)
    assert (event.subject_type, event.subject_id) == ("roster_entry", str(p.entry_id))
    assert (event.data["old"], event.data["new"], event.data["ticket_id"]) == (p.old, NEW_ACCOUNT, p.ticket_id)
    assert event.data["enrollment_id"] == p.enrollment_id and event.data["registration"] == p.number
    assert event.data["percent"] == 100
    # Both accounts are told, in Indonesian, what moved.
    messages = outbox(desk.app)
    assert sorted(to for _, to, _ in messages) == sorted([p.old, NEW_ACCOUNT])
    for kind, to, text in messages:
        assert kind == "akun_dialihkan"
        assert "dipindahkan dari akun" in text and p.old in text and NEW_ACCOUNT in text
        assert "100%" in text and p.number in text and "TUK Banda Aceh" in text
    with desk.app.app_context():
        rendered = render(db.session.scalars(select(OutboxMessage)).first(), None)
        assert rendered.subject.startswith("Pusat Bantuan: data peserta") and "Yang dipindahkan" in rendered.body
        closing = db.session.get(Ticket, p.ticket_id).messages[-1]
        assert closing.from_helpdesk and NEW_ACCOUNT in closing.body


def test_confirming_twice_moves_once(desk, participant):
    p = participant
    fingerprint = preview(desk, p).get_json()["preview"]["fingerprint"]
    assert confirm(desk, p, fingerprint).status_code == 200
    after = state(desk.app, p)
    again = confirm(desk, p, fingerprint)
    assert again.status_code == 409 and again.get_json()["code"] == "preview_outdated"
    assert state(desk.app, p) == after and len(audits(desk.app, "roster.repoint")) == 1


def test_round_trip_moves_back_with_everything(desk, participant):
    p = participant
    there = confirm(desk, p, preview(desk, p).get_json()["preview"]["fingerprint"])
    assert there.status_code == 200, there.get_json()
    back_preview = preview(desk, p, email=p.old)
    assert back_preview.status_code == 200, back_preview.get_json()
    shown = back_preview.get_json()["preview"]
    assert (shown["old_email"], shown["new_email"], shown["percent"]) == (NEW_ACCOUNT, p.old, 100)
    assert shown["registration"]["number"] == p.number
    back = confirm(desk, p, shown["fingerprint"], email=p.old)
    assert back.status_code == 200, back.get_json()
    assert_with(desk, p, p.old, p.old_headers)
    assert desk.client.get("/api/v1/me", headers=p.new_headers).get_json()["participant"] is None
    events = audits(desk.app, "roster.repoint")
    assert [(e.data["old"], e.data["new"]) for e in events] == [(p.old, NEW_ACCOUNT), (NEW_ACCOUNT, p.old)]
    assert all(e.data["registration"] == p.number and e.data["percent"] == 100 for e in events)
    assert len(outbox(desk.app)) == 4


# --- refusals -------------------------------------------------------------------------------------------------------

def test_move_without_confirmation_is_refused(desk, participant):
    p = participant
    before = state(desk.app, p)
    fingerprint = preview(desk, p).get_json()["preview"]["fingerprint"]
    for body in ({"entry_id": p.entry_id, "email": NEW_ACCOUNT},
                 {"entry_id": p.entry_id, "email": NEW_ACCOUNT, "fingerprint": fingerprint},
                 {"entry_id": p.entry_id, "email": NEW_ACCOUNT, "confirm": True}):
        response = desk.client.post(f"/api/v1/tickets/{p.ticket_id}/repoint", json=body, headers=desk.agent)
        assert response.status_code == 422 and response.get_json()["code"] == "confirmation_required"
        assert "pratinjau" in response.get_json()["message"]
    wrong = confirm(desk, p, "0" * 32)
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "preview_outdated"
    desk.app.config["WTF_CSRF_ENABLED"] = False
    page = log_in(desk.app, AGENT).post(f"/bantuan/{p.ticket_id}/alihkan",
                                        data={"entry_id": p.entry_id, "email": NEW_ACCOUNT})
    assert page.status_code == 422 and 'data-testid="repoint-error"' in html(page)
    assert_unchanged(desk, p, before)


def test_state_changed_after_the_preview_is_409(desk, participant):
    p = participant
    fingerprint = preview(desk, p).get_json()["preview"]["fingerprint"]
    cancelled = desk.client.delete("/api/v1/ukppg/registrations/me", headers=p.old_headers)
    assert cancelled.status_code == 200, cancelled.get_json()
    before = state(desk.app, p)
    response = confirm(desk, p, fingerprint)
    assert response.status_code == 409 and response.get_json()["code"] == "preview_outdated"
    assert "berubah sejak pratinjau" in response.get_json()["message"]
    assert_unchanged(desk, p, before)
    # The page shows the state as it is now, to be confirmed again.
    desk.app.config["WTF_CSRF_ENABLED"] = False
    page = log_in(desk.app, AGENT).post(f"/bantuan/{p.ticket_id}/alihkan", data={
        "entry_id": p.entry_id, "email": NEW_ACCOUNT, "fingerprint": fingerprint, "confirm": "1"})
    assert page.status_code == 409
    text = html(page)
    assert 'data-testid="repoint-error"' in text and 'data-testid="repoint-preview"' in text
    assert p.number not in text  # the cancelled registration no longer moves
    fresh = preview(desk, p).get_json()["preview"]["fingerprint"]
    assert fresh != fingerprint and f'value="{fresh}"' in text
    assert_unchanged(desk, p, before)


def test_target_enrolled_in_the_same_year_is_409(desk, learning, participant):
    p = participant
    other = learning.cohort(code="UJI-2", curriculum_id=learning.curriculum(code="KUR-2"))
    enrolled = "sudah.peserta@guru.sd.belajar.id"
    learning.participant(enrolled, cohort_id=other)
    before = state(desk.app, p)
    response = preview(desk, p, email=enrolled)
    assert response.status_code == 409 and response.get_json()["code"] == "account_enrolled"
    assert "tahun program yang sama" in response.get_json()["message"]
    # Even with a fingerprint from before the target enrolled.
    late = "baru.terdaftar@guru.sd.belajar.id"
    fingerprint = preview(desk, p, email=late).get_json()["preview"]["fingerprint"]
    learning.participant(late, cohort_id=other)
    response = confirm(desk, p, fingerprint, email=late)
    assert response.status_code == 409 and response.get_json()["code"] == "account_enrolled"
    assert_unchanged(desk, p, before)
    with desk.app.app_context():
        assert db.session.scalar(select(Enrollment.cohort_id).where(Enrollment.user_id == uid(desk.app, enrolled))) \
            == other


def test_target_in_the_same_year_roster_is_409_on_the_page_too(desk, participant):
    p = participant
    before = state(desk.app, p)
    response = preview(desk, p, email=ROSTER[1][2])
    assert response.status_code == 409 and response.get_json()["code"] == "account_in_roster"
    page = log_in(desk.app, AGENT).get(f"/bantuan/{p.ticket_id}/alihkan",
                                       query_string={"entry_id": p.entry_id, "email": ROSTER[1][2]})
    assert page.status_code == 409 and 'data-testid="repoint-error"' in html(page)
    assert_unchanged(desk, p, before)


@pytest.mark.parametrize("target", ["guru.baru@gmail.com", "guru@belajar.id.example.com", ""])
def test_target_not_a_belajar_id_account_is_422(desk, participant, target):
    p = participant
    before = state(desk.app, p)
    assert preview(desk, p, email=target).status_code == 422
    response = confirm(desk, p, "0" * 32, email=target)
    assert response.status_code == 422 and "email" in response.get_json()["errors"]
    assert_unchanged(desk, p, before)
    assert uid(desk.app, target) is None


def test_same_account_is_422(desk, participant):
    p = participant
    response = preview(desk, p, email=p.old)
    assert response.status_code == 422 and "email" in response.get_json()["errors"]


def test_entry_of_another_nik_is_404(desk, participant):
    p = participant
    with desk.app.app_context():
        other_entry = db.session.scalar(select(RosterEntry.id).where(RosterEntry.email == ROSTER[1][2]))
    before = state(desk.app, p)
    other = desk.client.get(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=desk.agent,
                            query_string={"entry_id": other_entry, "email": NEW_ACCOUNT})
    assert other.status_code == 404
    response = desk.client.post(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=desk.agent, json={
        "entry_id": other_entry, "email": NEW_ACCOUNT, "confirm": True, "fingerprint": "0" * 32})
    assert response.status_code == 404
    assert_unchanged(desk, p, before)


def test_teacher_cannot_preview_or_repoint(desk, participant):
    p = participant
    before = state(desk.app, p)
    for headers in (p.new_headers, desk.b):
        assert preview(desk, p, headers=headers).status_code == 403
        response = desk.client.post(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=headers, json={
            "entry_id": p.entry_id, "email": NEW_ACCOUNT, "confirm": True, "fingerprint": "0" * 32})
        assert response.status_code == 403 and response.get_json()["code"] == "forbidden"
    desk.app.config["WTF_CSRF_ENABLED"] = False
    teacher = log_in(desk.app, TEACHER_B)
    assert teacher.get(f"/bantuan/{p.ticket_id}/alihkan?entry_id={p.entry_id}&email={NEW_ACCOUNT}").status_code == 403
    assert teacher.post(f"/bantuan/{p.ticket_id}/alihkan", data={"entry_id": p.entry_id, "email": NEW_ACCOUNT,
                                                                 "confirm": "1"}).status_code == 403
    assert_unchanged(desk, p, before)
