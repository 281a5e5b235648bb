"""Keyset paging of the audit log and the outbox: the same rows in the same order as OFFSET pages, stable when
rows are added while someone pages, a bad cursor refused clearly, and a later page sending what page 1 sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from lms.admin import services, tools
from lms.core.audit import AuditEvent
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.keyset import BAD_CURSORS, walk_cursors, walk_links, walk_offsets
from tests.learning import log_in
from tests.queries import counted

ADMIN = "admin.satu@belajar.id"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def admin(app, learning):
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    return log_in(app, ADMIN)


def _events(app, n: int = 23, *, start: int = 0, at=None) -> None:
    """``n`` audit events ``test.keyset`` on subjects ``t:<i>``; three share each instant (ties broken by id)."""
    with app.app_context():
        db.session.add_all([AuditEvent(at=at or T0 + timedelta(minutes=i // 3), action="test.keyset",
                                       subject_type="t", subject_id=str(i), data={})
                            for i in range(start, start + n)])
        db.session.commit()


def _audit(**kwargs):
    return tools.audit_page(actor=None, action="test.", subject=None, since=None, until=None, **kwargs)


def _subject(row) -> str:
    return row[0].subject_id


def test_audit_cursor_pages_equal_offset_pages_and_are_stable(app):
    _events(app)
    with app.app_context():
        by_cursor = walk_cursors(_audit, _subject, per_page=5)
        assert by_cursor == walk_offsets(_audit, _subject, 5, per_page=5)
        expected = [str(i) for i in sorted(range(23), key=lambda i: (-(i // 3), -i))]
        assert [s for page in by_cursor for s in page] == expected
        first = _audit(per_page=5)
        assert first.total == 23 and first.pages == 5 and not first.has_prev
        # Rows added while paging: a newer one (sorts before the page read) and an older one (after it).
        _events(app, 1, start=100, at=T0 + timedelta(days=1))
        _events(app, 1, start=101, at=T0 - timedelta(days=1))
        rest = walk_cursors(_audit, _subject, first, per_page=5)
        seen = [_subject(r) for r in first.rows] + [s for page in rest for s in page]
        assert seen == expected + ["101"]  # nothing twice, nothing skipped
        # Backward from the third page gives the second.
        second = _audit(per_page=5, page=2, after=first.next_cursor)
        third = _audit(per_page=5, page=3, after=second.next_cursor)
        back = _audit(per_page=5, page=2, before=third.prev_cursor)
        assert [_subject(r) for r in back.rows] == [_subject(r) for r in second.rows]


def test_audit_page_follows_cursor_links_with_the_filter(app, admin, monkeypatch):
    monkeypatch.setattr(tools, "AUDIT_PER_PAGE", 5)
    _events(app)
    seen, last = walk_links(admin, "/admin/audit?action=test.", r"<td data-label=\"Objek\">t:(\d+)</td>")
    assert seen == [str(i) for i in sorted(range(23), key=lambda i: (-(i // 3), -i))]
    assert "Halaman 5 dari 5" in last and 'rel="prev"' in last and "after=" not in last.split('rel="prev"')[0][-400:]
    # An old link by page number still works (OFFSET).
    old = admin.get("/admin/audit?action=test.&page=2").get_data(as_text=True)
    assert f'<td data-label="Objek">t:{seen[5]}</td>' in old and "Halaman 2 dari 5" in old


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_audit_bad_cursor_is_a_clear_refusal(app, admin, cursor):
    answer = admin.get(f"/admin/audit?after={cursor}")
    assert answer.status_code == 422 and "tidak valid" in answer.get_data(as_text=True)
    assert admin.get(f"/admin/audit?before={cursor}").status_code == 422


def test_audit_later_page_sends_what_page_one_sends(app, admin, monkeypatch):
    monkeypatch.setattr(tools, "AUDIT_PER_PAGE", 2)
    _events(app)
    admin.get("/admin/audit?action=test.")
    with counted(app) as first:
        body = admin.get("/admin/audit?action=test.").get_data(as_text=True)
    with app.app_context():
        cursor = _audit(per_page=2, page=7, after=_audit(per_page=2, page=6).next_cursor).next_cursor
    with counted(app) as later:
        body = admin.get(f"/admin/audit?action=test.&page=8&after={cursor}").get_data(as_text=True)
    assert "Halaman 8 dari 12" in body
    assert len(first) == len(later), "\n\n".join(first + ["----"] + later)
    assert any("audit_events.at, audit_events.id) <" in s for s in later)


def _messages(app, n: int = 23, *, start: int = 0, at=None) -> None:
    with app.app_context():
        db.session.add_all([OutboxMessage(kind="test", to_email=f"m{i}@guru.sd.belajar.id", params={},
                                          created_at=at or T0 + timedelta(minutes=i // 3))
                            for i in range(start, start + n)])
        db.session.commit()


def _to(row) -> str:
    return row.message.to_email


def test_outbox_cursor_pages_equal_offset_pages_and_are_stable(app):
    _messages(app)
    with app.app_context():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.kind != "test"))
        db.session.commit()
        by_cursor = walk_cursors(services.outbox_page, _to, per_page=5)
        assert by_cursor == walk_offsets(services.outbox_page, _to, 5, per_page=5)
        expected = [f"m{i}@guru.sd.belajar.id" for i in sorted(range(23), key=lambda i: (-(i // 3), -i))]
        assert [m for page in by_cursor for m in page] == expected
        first = services.outbox_page(per_page=5)
        assert first.total == 23
        _messages(app, 1, start=100, at=T0 + timedelta(days=1))
        _messages(app, 1, start=101, at=T0 - timedelta(days=1))
        rest = walk_cursors(services.outbox_page, _to, first, per_page=5)
        assert [_to(r) for r in first.rows] + [m for page in rest for m in page] == \
            expected + ["m101@guru.sd.belajar.id"]
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 25


def test_outbox_page_follows_links_and_refuses_a_bad_cursor(app, admin, monkeypatch):
    monkeypatch.setattr(services, "PER_PAGE", 5)
    monkeypatch.setattr(services.outbox_page, "__kwdefaults__", {**services.outbox_page.__kwdefaults__,
                                                                 "per_page": 5})
    _messages(app)
    seen, last = walk_links(admin, "/admin/outbox", r"<td>(m\d+@guru\.sd\.belajar\.id)</td>")
    assert seen == [f"m{i}@guru.sd.belajar.id" for i in sorted(range(23), key=lambda i: (-(i // 3), -i))]
    assert 'rel="prev"' in last
    for cursor in BAD_CURSORS[:3]:
        answer = admin.get(f"/admin/outbox?after={cursor}")
        assert answer.status_code == 422 and "tidak valid" in answer.get_data(as_text=True)
    with counted(app) as first:
        admin.get("/admin/outbox")
    with app.app_context():
        cursor = services.outbox_page(per_page=5, page=3, after=services.outbox_page(
            per_page=5, page=2, after=services.outbox_page(per_page=5).next_cursor).next_cursor).next_cursor
    with counted(app) as later:
        assert "Halaman 4 dari 5" in admin.get(f"/admin/outbox?page=4&after={cursor}").get_data(as_text=True)
    assert len(first) == len(later), "\n\n".join(first + ["----"] + later)
