"""Pusat Bantuan tickets: opening with a checked screenshot, who may see what, the thread and its statuses, the
agents' queue, revealing the NIK, and pages (re-pointing: test_repoint.py)."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.core.nik import decrypt_nik, nik_hash
from lms.extensions import db
from lms.helpdesk.models import Ticket, TicketMessage
from lms.helpdesk.services import MAX_SCREENSHOT_BYTES
from tests.helpdesk.helpers import (
    AGENT,
    NIK,
    PNG,
    TEACHER_A,
    TEACHER_B,
    audits,
    files_in,
    form,
    html,
    image_bytes,
    ticket_count,
    uid,
    upload,
)
from tests.learning import DURING, log_in

# --- opening a ticket ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "mimetype"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_open_ticket_stores_the_image_outside_the_web_root(desk, fmt, mimetype):
    data = image_bytes(fmt)
    response = desk.open(desk.a, files=upload(data, f"undangan.{fmt.lower()}"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "baru" and body["category"] == "akun_tidak_dikenal"
    assert NIK not in response.get_data(as_text=True)
    static = Path(desk.app.static_folder).resolve()
    assert static not in Path(desk.default_folder).resolve().parents  # the default folder too
    with desk.app.app_context():
        ticket = db.session.get(Ticket, body["id"])
        stored = Path(ticket.screenshot_path).resolve()
        assert ticket.screenshot_type == mimetype
    assert static not in stored.parents and stored != static
    assert desk.uploads.resolve() in stored.parents
    assert stored.read_bytes() == data
    assert files_in(desk.uploads) == [Path(ticket.screenshot_path)]
    # Not reachable as a static file.
    assert desk.client.get(f"/static/{stored.name}").status_code == 404
    assert desk.client.get(f"/static/tickets/{stored.name}").status_code == 404


def test_nik_is_stored_only_as_hash_and_encrypted(desk):
    response = desk.open(desk.a)
    assert response.status_code == 201
    with desk.app.app_context():
        ticket = db.session.get(Ticket, response.get_json()["id"])
        assert ticket.nik_hash == nik_hash(NIK)
        assert NIK not in ticket.nik_encrypted and decrypt_nik(ticket.nik_encrypted) == NIK
        found = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                found += [f"{table.name}.{c.name}" for c, v in zip(table.columns, row, strict=True)
                          if v is not None and NIK in str(v)]
    assert found == []
    events = audits(desk.app, "ticket.open")
    assert len(events) == 1 and NIK not in str(events[0].data)


def test_screenshot_of_exactly_5_mb_is_accepted(desk):
    padded = PNG + b"\0" * (MAX_SCREENSHOT_BYTES - len(PNG))
    assert len(padded) == MAX_SCREENSHOT_BYTES
    assert desk.open(desk.a, files=upload(padded)).status_code == 201


def _gif():
    return image_bytes("GIF")


def _bmp():
    return image_bytes("BMP")


def _html_as_png():
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _truncated_png():
    return image_bytes("PNG", size=(400, 300))[:100]


def _oversized_png():
    return PNG + b"\0" * (MAX_SCREENSHOT_BYTES + 1 - len(PNG))


def _huge_dimensions():
    return image_bytes("PNG", size=(8000, 6000), mode="1")  # 48 Mpx in a few kB


@pytest.mark.parametrize(("make", "name"), [
    (_oversized_png, "undangan.png"),
    (_gif, "undangan.gif"),
    (_bmp, "undangan.bmp"),
    (_html_as_png, "undangan.png"),
    (_truncated_png, "undangan.png"),
    (_huge_dimensions, "undangan.png"),
    (lambda: b"", "undangan.png"),
])
def test_bad_screenshot_is_refused_and_nothing_is_stored(desk, make, name):
    response = desk.open(desk.a, files=upload(make(), name))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and set(body["errors"]) == {"screenshot"}
    assert ticket_count(desk.app) == 0
    assert files_in(desk.uploads) == []


def test_oversized_screenshot_says_5_mb(desk):
    body = desk.open(desk.a, files=upload(_oversized_png())).get_json()
    assert "5 MB" in body["errors"]["screenshot"]


def test_missing_screenshot_is_refused(desk):
    response = desk.open(desk.a, files={})
    assert response.status_code == 422
    assert "screenshot" in response.get_json()["errors"]
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"nik": "12345"}, "nik"),
    ({"nik": "9999254908900001"}, "nik"),
    ({"belajar_id_account": "guru.satu@gmail.com"}, "belajar_id_account"),
    ({"belajar_id_account": "guru@belajar.id.example.com"}, "belajar_id_account"),
    ({"full_name": "   "}, "full_name"),
    ({"satuan_pendidikan": ""}, "satuan_pendidikan"),
    ({"category": "lain"}, "category"),
])
def test_bad_fields_are_refused_per_field(desk, changes, field):
    response = desk.open(desk.a, data=form(**changes))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {field}
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


def test_several_problems_are_reported_together(desk):
    response = desk.open(desk.a, data=form(nik="abc", full_name=""), files=upload(_gif(), "x.gif"))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"nik", "full_name", "screenshot"}
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


def test_opening_a_ticket_needs_login(desk):
    response = desk.client.post("/api/v1/tickets", data={**form(), **upload()}, content_type="multipart/form-data")
    assert response.status_code == 401
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


# --- who may see what ---------------------------------------------------------------------------------------------

def test_another_teacher_gets_404_everywhere(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    client = desk.client
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.b).status_code == 404
    assert client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "Halo"},
                       headers=desk.b).status_code == 404
    desk.app.config["WTF_CSRF_ENABLED"] = False
    b_page = log_in(desk.app, TEACHER_B)
    assert b_page.get(f"/bantuan/{ticket_id}").status_code == 404
    assert b_page.get(f"/bantuan/{ticket_id}/tangkapan-layar").status_code == 404
    assert b_page.post(f"/bantuan/{ticket_id}/balas", data={"body": "Halo"}).status_code == 404
    with desk.app.app_context():
        assert db.session.scalar(select(func.count(TicketMessage.id))) == 0
    # A ticket that does not exist looks the same.
    assert client.get(f"/api/v1/tickets/{ticket_id + 100}", headers=desk.b).status_code == 404


def test_owner_and_agent_see_the_ticket_and_its_screenshot(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    own = desk.client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.a)
    assert own.status_code == 200 and "reporter" not in own.get_json() and "roster" not in own.get_json()
    agent = desk.client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.agent)
    assert agent.status_code == 200 and agent.get_json()["reporter"] == TEACHER_A
    for email in (TEACHER_A, AGENT):
        shot = log_in(desk.app, email).get(f"/bantuan/{ticket_id}/tangkapan-layar")
        data = shot.data
        shot.close()  # the file is streamed, as a WSGI server would close it
        assert shot.status_code == 200 and data == PNG and shot.mimetype == "image/png"
        assert "sandbox" in shot.headers["Content-Security-Policy"]
        assert shot.headers["X-Content-Type-Options"] == "nosniff"


def test_agent_ticket_view_emits_no_deprecation_warning(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = desk.client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.agent)
    assert response.status_code == 200
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []


def test_ticket_page_for_the_owner(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    page = log_in(desk.app, TEACHER_A).get(f"/bantuan/{ticket_id}")
    assert page.status_code == 200
    text = html(page)
    assert "Dewi Santoso" in text and f'href="/bantuan/{ticket_id}/tangkapan-layar"' in text
    assert NIK not in text and 'data-testid="reveal-nik"' not in text and 'data-testid="roster-matches"' not in text


def test_ticket_page_for_the_agent(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    page = log_in(desk.app, AGENT).get(f"/bantuan/{ticket_id}")
    assert page.status_code == 200
    text = html(page)
    assert "Dewi Santoso" in text and TEACHER_A in text
    assert NIK not in text and 'data-testid="reveal-nik"' in text and 'data-testid="roster-matches"' in text


def test_teacher_list_shows_only_their_own_tickets_even_with_all(desk):
    mine = desk.open(desk.a).get_json()["id"]
    theirs = desk.open(desk.b, data=form(belajar_id_account=TEACHER_B)).get_json()["id"]
    for url in ("/api/v1/tickets", "/api/v1/tickets?all=1"):
        a_ids = [t["id"] for t in desk.client.get(url, headers=desk.a).get_json()["tickets"]]
        b_ids = [t["id"] for t in desk.client.get(url, headers=desk.b).get_json()["tickets"]]
        assert a_ids == [mine] and b_ids == [theirs]


def test_agent_queue_with_filters(desk):
    a_id = desk.open(desk.a, data=form(full_name="Dewi Santoso")).get_json()["id"]
    b_id = desk.open(desk.b, data=form(full_name="Fitri Sitompul", category="tidak_terdaftar",
                                       belajar_id_account=TEACHER_B)).get_json()["id"]
    reply = desk.client.post(f"/api/v1/tickets/{b_id}/messages", json={"body": "Kami periksa."},
                             headers=desk.agent)
    assert reply.status_code == 201

    def ids(query):
        response = desk.client.get(f"/api/v1/tickets?all=1{query}", headers=desk.agent)
        assert response.status_code == 200
        return sorted(t["id"] for t in response.get_json()["tickets"])

    assert ids("") == sorted([a_id, b_id])
    assert ids("&status=baru") == [a_id]
    assert ids("&status=diproses") == [b_id]
    assert ids("&status=selesai") == []
    assert ids("&category=tidak_terdaftar") == [b_id]
    assert ids("&category=akun_tidak_dikenal") == [a_id]
    assert ids("&q=dewi") == [a_id]
    assert ids("&q=SITOMPUL") == [b_id]
    assert ids(f"&q={TEACHER_B}") == [b_id]
    assert ids("&q=tidak.ada.siapa.pun") == []
    # LIKE wildcards in the search are literal characters, not "anything".
    assert ids("&q=%25") == [] and ids("&q=_") == [] and ids("&q=%5C") == []
    assert ids("&status=baru&category=tidak_terdaftar") == []
    assert desk.client.get("/api/v1/tickets?all=1&status=entah", headers=desk.agent).status_code == 422


# --- the thread -----------------------------------------------------------------------------------------------------

def test_thread_in_order_and_agent_reply_moves_the_status(desk, frozen_clock):
    frozen_clock(DURING)
    ticket_id = desk.open(desk.a).get_json()["id"]
    agent_id = uid(desk.app, AGENT)

    def post(headers, body, minutes, **extra):
        frozen_clock(DURING + timedelta(minutes=minutes))
        response = desk.client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": body, **extra},
                                    headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    assert post(desk.a, "Akun saya salah.", 1)["status"] == "baru"  # the teacher's own reply changes nothing
    assert audits(desk.app, "ticket.status") == []
    assert post(desk.agent, "Mohon kirim NIK yang benar.", 2)["status"] == "diproses"
    post(desk.a, "Sudah saya kirim.", 3)
    last = post(desk.agent, "Sudah kami perbaiki.", 4, status="selesai")
    assert last["status"] == "selesai"

    thread = desk.client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.a).get_json()["messages"]
    assert [(m["from_helpdesk"], m["body"]) for m in thread] == [
        (False, "Akun saya salah."), (True, "Mohon kirim NIK yang benar."), (False, "Sudah saya kirim."),
        (True, "Sudah kami perbaiki.")]
    events = audits(desk.app, "ticket.status")
    assert [(e.actor_id, e.subject_type, e.subject_id, e.data) for e in events] == [
        (agent_id, "ticket", str(ticket_id), {"old": "baru", "new": "diproses"}),
        (agent_id, "ticket", str(ticket_id), {"old": "diproses", "new": "selesai"})]
    # The teacher answering a closed ticket brings it back to the helpdesk.
    assert post(desk.a, "Masih belum bisa.", 5)["status"] == "diproses"


def test_empty_reply_is_refused(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    response = desk.client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "   "}, headers=desk.a)
    assert response.status_code == 422 and "body" in response.get_json()["errors"]


def test_teacher_cannot_set_the_status(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    response = desk.client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "Tutup", "status": "selesai"},
                                headers=desk.a)
    assert response.status_code == 201 and response.get_json()["status"] == "baru"

# --- revealing the NIK ----------------------------------------------------------------------------------------------

def test_agent_reveals_the_nik_with_an_audit_entry(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    desk.app.config["WTF_CSRF_ENABLED"] = False
    agent = log_in(desk.app, AGENT)
    hidden = agent.get(f"/bantuan/{ticket_id}")
    assert hidden.status_code == 200 and NIK not in html(hidden) and 'data-testid="reveal-nik"' in html(hidden)
    assert audits(desk.app, "nik.view") == []
    revealed = agent.post(f"/bantuan/{ticket_id}/nik")
    assert revealed.status_code == 303 and revealed.headers["Location"].endswith(f"/bantuan/{ticket_id}?nik=1")
    assert NIK not in html(revealed)
    for _ in range(2):  # the page and a reload of it: a GET, the same audited view
        shown = agent.get(revealed.headers["Location"])
        assert shown.status_code == 200 and re.search(rf'data-testid="nik-clear">{NIK}<', html(shown))
    events = audits(desk.app, "nik.view")
    assert [(e.actor_id, e.subject_type, e.subject_id) for e in events] == [(uid(desk.app, AGENT), "ticket",
                                                                             str(ticket_id))]
    assert NIK not in str(events[0].data)
    # The grant names the ticket and the agent: not another ticket, not after it lapses, not for another agent.
    other_ticket = desk.open(desk.a).get_json()["id"]
    assert 'data-testid="nik-clear"' not in html(agent.get(f"/bantuan/{other_ticket}?nik=1"))
    with agent.session_transaction() as session:
        session["nik_reveal"] = {**session["nik_reveal"], "until": 0}
    assert 'data-testid="nik-clear"' not in html(agent.get(revealed.headers["Location"]))


def test_teacher_cannot_reveal_the_nik(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    desk.app.config["WTF_CSRF_ENABLED"] = False
    owner = log_in(desk.app, TEACHER_A)
    response = owner.post(f"/bantuan/{ticket_id}/nik")
    assert response.status_code == 403 and NIK not in html(response)
    other = log_in(desk.app, TEACHER_B).post(f"/bantuan/{ticket_id}/nik")
    assert other.status_code == 403 and NIK not in html(other)
    assert audits(desk.app, "nik.view") == []


# --- pages ----------------------------------------------------------------------------------------------------------

def test_queue_page_is_for_agents_only(desk):
    desk.open(desk.a)
    assert log_in(desk.app, TEACHER_A).get("/bantuan/antrian").status_code == 403
    assert desk.client.get("/api/v1/tickets?all=1", headers=desk.a).get_json().get("total") is None


def test_queue_page_lists_tickets(desk):
    ticket_id = desk.open(desk.a, data=form(full_name="Wayan Rahayu")).get_json()["id"]
    page = log_in(desk.app, AGENT).get("/bantuan/antrian")
    assert page.status_code == 200
    text = html(page)
    assert f'href="/bantuan/{ticket_id}"' in text and "Wayan Rahayu" in text and TEACHER_A in text
    assert text.count('data-testid="queue-row"') == 1
    filtered = log_in(desk.app, AGENT).get("/bantuan/antrian?status=selesai")
    assert filtered.status_code == 200 and "Wayan Rahayu" not in html(filtered)


def test_new_ticket_page_with_errors_keeps_typed_values(desk):
    desk.app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(desk.app, TEACHER_A)
    form_page = client.get("/bantuan/baru?kategori=tidak_terdaftar")
    assert form_page.status_code == 200 and f'value="{TEACHER_A}"' in html(form_page)
    typed = form(nik="11012549", full_name="Siti Kurniawan", satuan_pendidikan="SMP Negeri 7 Bandung",
                 description="Undangan terlampir.")
    response = client.post("/bantuan/baru", data={**typed, **upload(PNG, "undangan-simpkb.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 303  # POST-redirect-GET: the page after it keeps what was typed
    text = html(client.get(response.headers["Location"]))
    for value in ("11012549", "Siti Kurniawan", "SMP Negeri 7 Bandung", TEACHER_A):
        assert f'value="{value}"' in text
    assert "Undangan terlampir." in text
    assert 'data-testid="error-nik"' in text and 'data-testid="ticket-error"' in text
    assert "undangan-simpkb.png" not in text
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []

    no_file = client.post("/bantuan/baru", data=form(), content_type="multipart/form-data")
    assert no_file.status_code == 303 and 'data-testid="error-screenshot"' in html(client.get("/bantuan/baru"))
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


def test_new_ticket_page_success_redirects_to_the_ticket(desk):
    desk.app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(desk.app, TEACHER_A)
    response = client.post("/bantuan/baru", data={**form(), **upload()}, content_type="multipart/form-data")
    assert response.status_code == 302
    with desk.app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id))
    assert response.headers["Location"].endswith(f"/bantuan/{ticket_id}")
    with desk.app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.user_id, ticket.full_name, ticket.status) == (uid(desk.app, TEACHER_A), "Dewi Santoso", "baru")
    mine = client.get("/bantuan/")
    assert f'href="/bantuan/{ticket_id}"' in html(mine)
    assert len(files_in(desk.uploads)) == 1


def test_reply_page_form(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    desk.app.config["WTF_CSRF_ENABLED"] = False
    response = log_in(desk.app, AGENT).post(f"/bantuan/{ticket_id}/balas",
                                            data={"body": "Sedang kami periksa.", "status": "diproses"})
    assert response.status_code == 302
    thread = desk.client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.a).get_json()
    assert thread["status"] == "diproses"
    assert [(m["from_helpdesk"], m["body"]) for m in thread["messages"]] == [(True, "Sedang kami periksa.")]


def test_the_teacher_hears_of_an_agent_reply_and_the_agent_sees_it_sent(desk):
    from lms.notifications.models import OutboxMessage

    ticket_id = desk.open(desk.a).get_json()["id"]
    desk.app.config["WTF_CSRF_ENABLED"] = False
    agent = log_in(desk.app, AGENT)
    response = agent.post(f"/bantuan/{ticket_id}/balas", data={"body": "Sedang kami periksa.", "status": "diproses"})
    assert "Balasan terkirim" in agent.get(response.headers["Location"]).get_data(as_text=True)
    with desk.app.app_context():
        [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "balasan_bantuan")).all()
        assert message.to_email == TEACHER_A and f"/bantuan/{ticket_id}" in message.params["body"]
    # The teacher's own reply notifies no one.
    desk.client.post(f"/api/v1/tickets/{ticket_id}/messages", headers=desk.a, json={"body": "Terima kasih."})
    with desk.app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
