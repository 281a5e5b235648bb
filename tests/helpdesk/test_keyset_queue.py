"""Keyset paging of the agents' queue (new tickets first, then the latest first): the same order as OFFSET pages,
stable when tickets arrive while an agent pages, a bad cursor refused clearly (API 422 invalid_cursor, page
422), and a later page sending the statements page 1 sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from lms.auth.models import User
from lms.extensions import db
from lms.helpdesk import services
from lms.helpdesk.models import Ticket
from tests.helpdesk.helpers import AGENT
from tests.keyset import BAD_CURSORS, walk_cursors, walk_links, walk_offsets
from tests.learning import DURING, log_in
from tests.queries import counted


def _tickets(app, start: int, stop: int, *, minutes=None, status=None) -> None:
    """Tickets ``Guru <i>``: every third one new, the rest in progress; two share each instant."""
    with app.app_context():
        emails = [f"antre{i:03d}@guru.sd.belajar.id" for i in range(start, stop)]
        db.session.execute(insert(User), [{"email": e, "name": e, "created_at": DURING, "active": True}
                                          for e in emails])
        ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
        for i, email in zip(range(start, stop), emails, strict=True):
            at = DURING + timedelta(minutes=(i // 2) if minutes is None else minutes)
            db.session.execute(insert(Ticket).values(
                user_id=ids[email], category="akun_tidak_dikenal", full_name=f"Guru {i}",
                status=status or ("baru" if i % 3 == 0 else "diproses"), nik_hash="0" * 64, nik_encrypted="x",
                belajar_id_account=email, satuan_pendidikan="SD", description="", screenshot_path="/none.png",
                screenshot_type="image/png", created_at=at, updated_at=at))
        db.session.commit()


def _expected(app) -> list[str]:
    with app.app_context():
        found = db.session.execute(select(Ticket.full_name, Ticket.status, Ticket.created_at, Ticket.id)).all()
    return [t.full_name for t in sorted(found, key=lambda t: (t.status != "baru", -t.created_at.timestamp(), -t.id))]


def _name(ticket) -> str:
    return ticket.full_name


def test_cursor_pages_equal_offset_pages_and_are_stable(app):
    _tickets(app, 0, 23)
    expected = _expected(app)
    assert expected[0] != "Guru 0" and expected[:8] == [f"Guru {i}" for i in (21, 18, 15, 12, 9, 6, 3, 0)]
    with app.app_context():
        by_cursor = walk_cursors(services.queue, _name, per_page=5)
        assert by_cursor == walk_offsets(services.queue, _name, 5, per_page=5)
        assert [n for page in by_cursor for n in page] == expected
        first = services.queue(per_page=5)
        assert first.total == 23 and first.pages == 5
    # A new ticket arrives (it sorts first) and an old one in progress (it sorts last) while the agent pages.
    _tickets(app, 100, 101, minutes=60, status="baru")
    _tickets(app, 101, 102, minutes=-60, status="diproses")
    with app.app_context():
        rest = walk_cursors(services.queue, _name, first, per_page=5)
    assert [t.full_name for t in first.rows] + [n for page in rest for n in page] == expected + ["Guru 101"]


def test_api_follows_next_and_refuses_a_bad_cursor(desk):
    app, client = desk.app, desk.client
    _tickets(app, 0, 23)
    pages, url = [], "/api/v1/tickets?all=1&q=antre"
    while url:
        body = client.get(url, headers=desk.agent).get_json()
        pages.append([t["full_name"] for t in body["tickets"]])
        assert body["total"] == 23
        url = body["next"]
    assert [n for page in pages for n in page] == _expected(app)[:23] and len(pages) == 1  # 50 a page
    for cursor in BAD_CURSORS:
        answer = client.get(f"/api/v1/tickets?all=1&after={cursor}", headers=desk.agent)
        assert answer.status_code == 422, cursor
        assert answer.get_json()["code"] in ("invalid_cursor", "invalid")


def test_api_pages_by_cursor_with_the_same_statements(desk, monkeypatch):
    monkeypatch.setattr(services.queue, "__kwdefaults__", {**services.queue.__kwdefaults__, "per_page": 3})
    app, client = desk.app, desk.client
    _tickets(app, 0, 23)
    client.get("/api/v1/tickets?all=1", headers=desk.agent)
    with counted(app) as first:
        body = client.get("/api/v1/tickets?all=1", headers=desk.agent).get_json()
    names = [t["full_name"] for t in body["tickets"]]
    for _ in range(4):
        body = client.get(body["next"], headers=desk.agent).get_json()
        names += [t["full_name"] for t in body["tickets"]]
    assert "page=6" in body["next"] and "after=" in body["next"]
    with counted(app) as later:
        body = client.get(body["next"], headers=desk.agent).get_json()
    assert body["page"] == 6 and names + [t["full_name"] for t in body["tickets"]] == _expected(app)[:18]
    assert len(first) == len(later), "\n\n".join(first + ["----"] + later)
    bad = client.get("/api/v1/tickets?all=1&after=bm90LWpzb24", headers=desk.agent).get_json()
    assert bad["code"] == "invalid_cursor" and "tidak valid" in bad["message"]


def test_queue_page_follows_links_and_refuses_a_bad_cursor(desk, monkeypatch):
    monkeypatch.setattr(services.queue, "__kwdefaults__", {**services.queue.__kwdefaults__, "per_page": 4})
    app = desk.app
    _tickets(app, 0, 23)
    agent = log_in(app, AGENT)
    seen, last = walk_links(agent, "/bantuan/antrian?status=diproses", r'<td data-label="Nama">([^<]+)</td>')
    assert seen == [n for n in _expected(app) if int(n.split()[1]) % 3]
    assert "Halaman 4 dari 4" in last and 'rel="prev"' in last
    # The page number alone (an old link) still reads by OFFSET.
    second = agent.get("/bantuan/antrian?status=diproses&page=2").get_data(as_text=True)
    assert f'<td data-label="Nama">{seen[4]}</td>' in second
    for cursor in BAD_CURSORS[:3]:
        answer = agent.get(f"/bantuan/antrian?before={cursor}")
        assert answer.status_code == 422 and "tidak valid" in answer.get_data(as_text=True)


@pytest.mark.parametrize("status", [None, "baru"])
def test_queue_totals_stay_with_the_filter(app, status):
    _tickets(app, 0, 10)
    with app.app_context():
        page = services.queue(status=status, per_page=3)
        later = services.queue(status=status, per_page=3, page=2, after=page.next_cursor)
    assert page.total == later.total == (4 if status else 10)
