"""No input is a 500 in Pusat Bantuan: over-long fields (form and API), a screenshot sent as text, unknown fields,
ids and pages beyond the columns, a bad status; each refused with 4xx and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.helpdesk.models import TicketMessage
from tests.helpdesk.helpers import AGENT, TEACHER_A, files_in, form, html, ticket_count, uid, upload
from tests.helpdesk.repoint_helpers import finished_participant
from tests.learning import log_in

TOO_LONG = [
    ({"full_name": "D" * 201}, "full_name"),
    ({"belajar_id_account": "g" * 250 + "@guru.sd.belajar.id"}, "belajar_id_account"),
    ({"satuan_pendidikan": "S" * 201}, "satuan_pendidikan"),
    ({"description": "u" * 5001}, "description"),
    ({"nik": "1" * 100_000}, "nik"),
    ({"category": "k" * 10_000}, "category"),
]


@pytest.mark.parametrize(("changes", "field"), TOO_LONG)
def test_over_long_fields_are_422_on_the_api(desk, changes, field):
    response = desk.open(desk.a, data=form(**changes))
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert field in response.get_json()["errors"]
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


@pytest.mark.parametrize(("changes", "field"), TOO_LONG)
def test_over_long_fields_on_the_form_redirect_and_keep_what_was_typed(desk, changes, field):
    desk.app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(desk.app, TEACHER_A)
    response = client.post("/bantuan/baru", data={**form(**changes), **upload()}, content_type="multipart/form-data")
    # POST-redirect-GET: the page after the redirect shows what was typed and the reasons; a reload re-sends nothing.
    assert response.status_code == 303 and response.headers["Location"].endswith("/bantuan/baru")
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []
    for _reload in range(2):
        page = client.get("/bantuan/baru").get_data(as_text=True)
        assert f'id="{field}"' in page and 'class="error-text"' in page
        assert form()["satuan_pendidikan"] in page or field == "satuan_pendidikan"
    # Sent again successfully: the kept text is gone.
    assert client.post("/bantuan/baru", data={**form(), **upload()},
                       content_type="multipart/form-data").status_code == 302
    assert 'class="error-text"' not in client.get("/bantuan/baru").get_data(as_text=True)


@pytest.mark.parametrize("data", [
    {**form(), "screenshot": "bukan berkas"},  # a text field where the file belongs
    {**form(), "extra": "x"},  # an undeclared field
])
def test_odd_multipart_is_422(desk, data):
    response = desk.open(desk.a, data=data, files={} if "screenshot" in data else None)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert ticket_count(desk.app) == 0 and files_in(desk.uploads) == []


def test_a_ticket_as_json_is_422(desk):
    response = desk.client.post("/api/v1/tickets", json=form(), headers=desk.a)
    assert response.status_code == 422 and ticket_count(desk.app) == 0


def test_the_document_describes_the_multipart_body(desk):
    operation = desk.client.get("/api/v1/openapi.json").get_json()["paths"]["/tickets"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True and list(body["content"]) == ["multipart/form-data"]
    ref = body["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = desk.client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][ref]
    assert schema["properties"]["screenshot"] == {"type": "string", "format": "binary",
                                                  "description": schema["properties"]["screenshot"]["description"]}
    assert schema["properties"]["full_name"]["maxLength"] == 200
    assert {"201", "401", "422"} <= set(operation["responses"])


def messages(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(TicketMessage.id)))


def test_bad_replies_change_nothing(desk):
    ticket_id = desk.open(desk.a).get_json()["id"]
    url = f"/api/v1/tickets/{ticket_id}/messages"
    for body in ({"body": "x" * 5001}, {"body": 5}, {"body": "Halo", "status": "tutup"}, {}):
        response = desk.client.post(url, json=body, headers=desk.agent)
        assert response.status_code == 422, body
    desk.app.config["WTF_CSRF_ENABLED"] = False
    agent = log_in(desk.app, AGENT)
    page = agent.post(f"/bantuan/{ticket_id}/balas", data={"body": "Halo, sudah kami cek", "status": "tutup"})
    assert page.status_code == 303 and page.headers["Location"].endswith(f"/bantuan/{ticket_id}")
    assert messages(desk.app) == 0
    shown = agent.get(f"/bantuan/{ticket_id}").get_data(as_text=True)  # the typed reply is still in the box
    assert "Halo, sudah kami cek</textarea>" in shown


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=0", "page=²", "status=x", "category=y",
                                   "q=" + "q" * 400])
def test_bad_queue_queries_are_422_on_the_api(desk, query):
    assert desk.client.get(f"/api/v1/tickets?all=1&{query}", headers=desk.agent).status_code == 422


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=²", "page=-3", "q=" + "q" * 5000])
def test_odd_queue_queries_on_the_page_still_answer(desk, query):
    desk.open(desk.a)
    assert log_in(desk.app, AGENT).get(f"/bantuan/antrian?{query}").status_code == 200


@pytest.mark.parametrize("entry_id", ["99999999999", "²", "-1", "abc", ""])
def test_repoint_with_an_odd_entry_id_is_404_on_the_page(desk, entry_id):
    ticket_id = desk.open(desk.a).get_json()["id"]
    desk.app.config["WTF_CSRF_ENABLED"] = False
    agent = log_in(desk.app, AGENT)
    assert agent.get(f"/bantuan/{ticket_id}/alihkan?entry_id={entry_id}&email=a@belajar.id").status_code == 404
    assert agent.post(f"/bantuan/{ticket_id}/alihkan", data={"entry_id": entry_id, "email": "a@belajar.id",
                                                             "confirm": "1", "fingerprint": "0"}).status_code == 404


@pytest.mark.parametrize("entry_id", [99999999999, "1", None, {"id": 1}])
def test_repoint_with_an_odd_entry_id_is_422_on_the_api(desk, entry_id):
    ticket_id = desk.open(desk.a).get_json()["id"]
    response = desk.client.post(f"/api/v1/tickets/{ticket_id}/repoint", headers=desk.agent,
                                json={"entry_id": entry_id, "email": "a@belajar.id", "dry_run": True})
    assert response.status_code == 422 and "entry_id" in response.get_json()["errors"]
    preview = desk.client.get(f"/api/v1/tickets/{ticket_id}/repoint", headers=desk.agent,
                              query_string={"entry_id": "99999999999", "email": "a@belajar.id"})
    assert preview.status_code == 422


def test_repoint_to_an_over_long_account_is_422(desk, learning, during):
    p = finished_participant(desk, learning)
    long_email = "g" * 300 + "@guru.sd.belajar.id"
    over_254 = "g" * (255 - len("@guru.sd.belajar.id")) + "@guru.sd.belajar.id"
    page = log_in(desk.app, AGENT).get(f"/bantuan/{p.ticket_id}/alihkan",
                                       query_string={"entry_id": p.entry_id, "email": long_email})
    assert page.status_code == 422 and 'data-testid="repoint-error"' in html(page)
    for body in ({"dry_run": True}, {"confirm": True, "fingerprint": "0" * 32}):
        response = desk.client.post(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=desk.agent,
                                    json={"entry_id": p.entry_id, "email": over_254, **body})
        assert response.status_code == 422 and "email" in response.get_json()["errors"]
    assert uid(desk.app, over_254) is None and uid(desk.app, long_email) is None
