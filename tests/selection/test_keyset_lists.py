"""Keyset paging of a run's list (admin page and API), the public announcement and the removal proposals: the same
order as OFFSET pages (the ineligible, without a rank, after the ranked), stable while statuses change, a bad
cursor refused clearly, a later page sending what page 1 sends, and (PostgreSQL) the announcement's later page
found through the (run, quota group, rank, line) index, not a sort."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text, update

from lms.extensions import db
from lms.selection import announcement, listing
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionRun
from tests.keyset import BAD_CURSORS, walk_cursors, walk_links, walk_offsets
from tests.learning import log_in
from tests.queries import counted, explain, sent
from tests.selection.test_determination import published  # noqa: F401 (fixture)
from tests.selection.test_removal import NOW

ADMIN = "admin.satu@belajar.id"


def _run(app, run_id: int) -> SelectionRun:
    return db.session.get(SelectionRun, run_id)


def _output_order(run_id: int) -> list[int]:
    rows = db.session.execute(select(SelectionEntry.id, SelectionEntry.rank, SelectionEntry.quota_group,
                                     SelectionEntry.line).where(SelectionEntry.run_id == run_id)).all()
    return [r.id for r in sorted(rows, key=lambda r: (r.rank is None, r.quota_group, r.rank or 0, r.line))]


def _entries(run):
    return lambda **kw: listing.entries_page(run, status=None, kabkota=None, **kw)


def _lines(run):
    return lambda **kw: announcement.lines_page(run, provinsi=None, kabkota=None, **kw)


def test_run_list_cursor_pages_equal_offset_pages(app, published):  # noqa: F811
    with app.app_context():
        run = _run(app, published.run_id)
        read = _entries(run)
        by_cursor = walk_cursors(read, lambda row: row.entry.id, per_page=7)
        assert len(by_cursor) == 29  # 200 candidates
        assert by_cursor == walk_offsets(read, lambda row: row.entry.id, 29, per_page=7)
        assert [i for page in by_cursor for i in page] == _output_order(run.id)
        assert db.session.scalar(select(SelectionEntry.rank).where(
            SelectionEntry.id == by_cursor[-1][-1])) is None  # the ineligible come last
        third = read(per_page=7, page=3, after=read(per_page=7, page=2, after=read(per_page=7).next_cursor)
                     .next_cursor)
        back = read(per_page=7, page=2, before=third.prev_cursor)
        assert [r.entry.id for r in back.rows] == by_cursor[1]


def test_announcement_cursor_pages_equal_offset_pages_and_are_stable(app, published):  # noqa: F811
    with app.app_context():
        run = _run(app, published.run_id)
        read = _lines(run)
        by_cursor = walk_cursors(read, lambda line: line.nama, per_page=6)
        total = read(per_page=6).total
        assert total == sum(published.quotas.values()) and len(by_cursor) == -(-total // 6)
        assert by_cursor == walk_offsets(read, lambda line: line.nama, len(by_cursor), per_page=6)
        first = read(per_page=6)
        # While someone pages, a cadangan of the last quota group is promoted: it joins the pages still to come.
        late = db.session.scalars(select(SelectionEntry.id).where(
            SelectionEntry.run_id == run.id, SelectionEntry.status == "cadangan")
            .order_by(SelectionEntry.quota_group.desc(), SelectionEntry.rank).limit(1)).all()
        assert late
        db.session.execute(update(SelectionEntry).where(SelectionEntry.id.in_(late)).values(status="ditetapkan"))
        db.session.commit()
        rest = walk_cursors(read, lambda line: line.nama, first, per_page=6)
        seen = [line.nama for line in first.rows] + [n for page in rest for n in page]
        after_change = [n for page in walk_offsets(read, lambda line: line.nama, len(by_cursor) + 1, per_page=6)
                        for n in page]
        assert seen == after_change and len(seen) == total + len(late)  # nothing twice, nothing skipped


def test_announcement_page_follows_links_and_refuses_a_bad_cursor(app, published, monkeypatch):  # noqa: F811
    monkeypatch.setattr(announcement.lines_page, "__kwdefaults__",
                        {**announcement.lines_page.__kwdefaults__, "per_page": 9})
    client = app.test_client()
    seen, last = walk_links(client, f"/pengumuman/{published.run_id}", r'data-testid="announcement-line"')
    with app.app_context():
        assert len(seen) == _lines(_run(app, published.run_id))(per_page=9).total
    assert 'rel="prev"' in last and 'rel="next"' not in last
    for cursor in BAD_CURSORS[:3]:
        answer = client.get(f"/pengumuman/{published.run_id}?after={cursor}")
        assert answer.status_code == 422 and "tidak valid" in answer.get_data(as_text=True)
    with counted(app) as first:
        client.get(f"/pengumuman/{published.run_id}")
    with app.app_context():
        page = _lines(_run(app, published.run_id))(per_page=9)
    with counted(app) as later:
        assert client.get(f"/pengumuman/{published.run_id}?page=2&after={page.next_cursor}").status_code == 200
    assert len(first) == len(later), "\n\n".join(first + ["----"] + later)


@pytest.fixture
def admin_token(app, learning):
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    return learning.headers(ADMIN)


def test_entries_api_follows_next_with_the_same_statements(app, published, admin_token):  # noqa: F811
    client = app.test_client()
    url = f"/api/v1/selection/runs/{published.run_id}/entries?per_page=40"
    client.get(url, headers=admin_token)
    with counted(app) as first:
        body = client.get(url, headers=admin_token).get_json()
    ids = [e["id"] for e in body["entries"]]
    while body["next"]:
        with counted(app) as later:
            body = client.get(body["next"], headers=admin_token).get_json()
        ids += [e["id"] for e in body["entries"]]
    with app.app_context():
        assert ids == _output_order(published.run_id)
    assert body["page"] == 5 and body["next_cursor"] is None and body["total"] == 200
    assert len(first) == len(later), "\n\n".join(first + ["----"] + later)
    for cursor in BAD_CURSORS:
        answer = client.get(f"{url}&after={cursor}", headers=admin_token)
        assert answer.status_code == 422 and answer.get_json()["code"] in ("invalid_cursor", "invalid"), cursor


def test_run_page_follows_links(app, published, monkeypatch):  # noqa: F811
    monkeypatch.setattr(listing.entries_page, "__kwdefaults__", {**listing.entries_page.__kwdefaults__,
                                                                 "per_page": 30})
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    client = log_in(app, ADMIN)
    seen, last = walk_links(client, f"/penetapan/{published.run_id}", r'data-entry-id="(\d+)"')
    with app.app_context():
        assert [int(i) for i in seen] == _output_order(published.run_id)
    assert "Halaman 7 dari 7" in last
    answer = client.get(f"/penetapan/{published.run_id}?after=bm90LWpzb24")
    assert answer.status_code == 422 and "tidak valid" in answer.get_data(as_text=True)


def _proposals(app, run_id: int, n: int = 13) -> list[int]:
    """``n`` pending proposals on ditetapkan candidates; two share each instant."""
    with app.app_context():
        entries = db.session.scalars(select(SelectionEntry.id).where(
            SelectionEntry.run_id == run_id, SelectionEntry.status == "ditetapkan").order_by(SelectionEntry.id)
            .limit(n)).all()
        db.session.execute(insert(RemovalProposal), [
            {"entry_id": e, "reason": "meninggal_dunia", "note": "", "status": "diajukan",
             "proposed_at": NOW + timedelta(minutes=i // 2), "decision_note": ""} for i, e in enumerate(entries)])
        db.session.commit()
        return [p.id for p in sorted(db.session.scalars(select(RemovalProposal)),
                                     key=lambda p: (p.proposed_at, p.id), reverse=True)]


def test_proposals_pages_equal_offset_pages_in_service_api_and_page(app, published, admin_token):  # noqa: F811
    expected = _proposals(app, published.run_id)
    with app.app_context():
        viewer = db.session.scalar(select(listing.User).where(listing.User.email == ADMIN))
        read = lambda **kw: listing.proposals_page(viewer, status=None, **kw)  # noqa: E731
        by_cursor = walk_cursors(read, lambda row: row.proposal.id, per_page=4)
        assert by_cursor == walk_offsets(read, lambda row: row.proposal.id, 4, per_page=4)
        assert [i for page in by_cursor for i in page] == expected
    client = app.test_client()
    body, ids = client.get("/api/v1/selection/removals?per_page=5", headers=admin_token).get_json(), []
    while True:
        ids += [p["id"] for p in body["removals"]]
        if not body["next"]:
            break
        body = client.get(body["next"], headers=admin_token).get_json()
    assert ids == expected
    assert client.get("/api/v1/selection/removals?after=%25%25", headers=admin_token).status_code == 422


@pytest.mark.postgres
def test_a_later_announcement_page_is_found_through_the_index(app, published):  # noqa: F811
    """The plan of a cursor page of the public list: an index scan in (quota group, rank, line) order, no sort."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL plan")
        run = _run(app, published.run_id)
        db.session.execute(text(
            "INSERT INTO selection_entries (run_id, line, nik_hash, nik_encrypted, nama, nama_key, email, npsn, "
            "satuan_pendidikan, kode_kabkota, quota_group, sort_key, rank, status, alasan) "
            "SELECT :r, 100000 + g, md5(g::text), 'x', 'Calon ' || g, 'calon ' || g, g || '@x.id', '', '', "
            "'1101', '11', '', 1000 + g, 'ditetapkan', '' FROM generate_series(1, 60000) g"), {"r": run.id})
        db.session.commit()
        db.session.execute(text("ANALYZE selection_entries"))
        db.session.commit()
        from lms.core.paging import encode_cursor
        with sent(app, "ORDER BY selection_entries.quota_group") as seen:
            page = _lines(run)(per_page=50, page=900, after=encode_cursor(["11", 45000, 144000]))
        assert page.rows[0].nama == "Calon 44001" and page.total >= 60000
        plan = explain(*seen[-1])
    assert "Index Scan using ix_selection_entries_run_group_rank" in plan, plan
    assert "Sort" not in plan, plan
