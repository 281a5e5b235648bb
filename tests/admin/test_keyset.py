"""Keyset paging of a cohort's participants: the same rows as OFFSET paging, stable when rows are added while
someone pages, a bad cursor refused clearly, and (PostgreSQL) a page found through the e-mail index, not a sort."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import text

from lms.admin import enrollments
from lms.cohorts.models import Cohort
from lms.core.paging import encode_cursor
from lms.extensions import db
from tests.learning import log_in
from tests.queries import counted, explain, sent, writes

ADMIN = "admin.satu@belajar.id"
EMAILS = [f"guru{i:02d}.{chr(97 + i % 7)}@guru.sd.belajar.id" for i in range(23)]


@pytest.fixture
def admin(app, learning):
    assert app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"]).exit_code == 0
    return learning.headers(ADMIN)


def _cohort(learning, code="KEY", emails=EMAILS) -> int:
    cohort_id = learning.cohort(code=code)
    for n, email in enumerate(reversed(emails)):
        learning.participant(email, cohort_id=cohort_id, kode_kabkota="7371" if n % 2 else "3273")
    return cohort_id


def _walk_api(client, headers, url: str) -> list[list[str]]:
    pages = []
    while url:
        body = client.get(url, headers=headers).get_json()
        pages.append([e["email"] for e in body["enrollments"]])
        url = body["next"]
    return pages


def test_cursor_pages_equal_offset_pages(app, learning, admin):
    _cohort(learning)
    client = app.test_client()
    by_cursor = _walk_api(client, admin, "/api/v1/cohorts/KEY/enrollments?per_page=5")
    by_offset = [[e["email"] for e in client.get(f"/api/v1/cohorts/KEY/enrollments?per_page=5&page={p}",
                                                 headers=admin).get_json()["enrollments"]] for p in range(1, 6)]
    assert by_cursor == by_offset
    assert [email for page in by_cursor for email in page] == sorted(EMAILS)
    last = client.get("/api/v1/cohorts/KEY/enrollments?per_page=5&page=5", headers=admin).get_json()
    assert last["next"] is None and last["next_cursor"] is None and last["total"] == 23 and last["pages"] == 5
    # The next link numbers its page and keeps the filter.
    second = client.get("/api/v1/cohorts/KEY/enrollments?per_page=5&status=aktif", headers=admin).get_json()["next"]
    assert "page=2" in second and "status=aktif" in second and "after=" in second


def test_backward_and_region_pages_in_the_service(app, learning):
    cohort_id = _cohort(learning)
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        pages = [enrollments.enrollments_page(cohort, per_page=4)]
        while pages[-1].next_cursor:
            pages.append(enrollments.enrollments_page(cohort, per_page=4, page=len(pages) + 1,
                                                      after=pages[-1].next_cursor))
        assert [r["email"] for p in pages for r in p.rows] == sorted(EMAILS)
        back = enrollments.enrollments_page(cohort, per_page=4, before=pages[3].prev_cursor, page=3)
        assert back.rows == pages[2].rows and back.has_next and back.has_prev
        assert not enrollments.enrollments_page(cohort, per_page=4, before=pages[1].prev_cursor).has_prev
        makassar = enrollments.enrollments_page(cohort, per_page=50, region="73")
        assert makassar.total == 11 and all(r["kode_kabkota"] == "7371" for r in makassar.rows)
        assert enrollments.enrollments_page(cohort, per_page=50, region="7371").total == 11
        assert enrollments.enrollments_page(cohort, per_page=50, region="32").total == 12


def test_cursor_pages_are_stable_under_inserts(app, learning, admin):
    cohort_id = _cohort(learning)
    client = app.test_client()
    first = client.get("/api/v1/cohorts/KEY/enrollments?per_page=5", headers=admin).get_json()
    # Two participants join while the first page is read: one sorts before it, one after.
    learning.participant("aaa.baru@guru.sd.belajar.id", cohort_id=cohort_id)
    learning.participant("zzz.baru@guru.sd.belajar.id", cohort_id=cohort_id)
    rest = _walk_api(client, admin, first["next"])
    seen = [e["email"] for e in first["enrollments"]] + [email for page in rest for email in page]
    assert seen == sorted(EMAILS) + ["zzz.baru@guru.sd.belajar.id"]  # nothing twice, nothing skipped
    offset_second = client.get("/api/v1/cohorts/KEY/enrollments?per_page=5&page=2", headers=admin).get_json()
    assert offset_second["enrollments"][0]["email"] == first["enrollments"][-1]["email"]  # OFFSET repeats a row


@pytest.mark.parametrize("cursor", ["%%%", "bm90LWpzb24", encode_cursor([1, 2]), encode_cursor([True]),
                                    encode_cursor([None]), "A" * 700])
def test_a_bad_cursor_is_a_clear_422(app, learning, admin, cursor):
    _cohort(learning, emails=EMAILS[:3])
    client = app.test_client()
    answer = client.get(f"/api/v1/cohorts/KEY/enrollments?after={cursor}", headers=admin)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["code"] in ("invalid_cursor", "invalid")
    assert "tidak valid" in body["message"] or "after" in body.get("errors", {})
    page = log_in(app, ADMIN).get(f"/admin/cohorts/KEY?before={cursor}")
    assert page.status_code == 422 and "tidak valid" in page.get_data(as_text=True)


def test_admin_page_follows_cursor_links(app, learning, admin, monkeypatch):
    monkeypatch.setattr(enrollments, "PER_PAGE", 5)
    _cohort(learning)
    client = log_in(app, ADMIN)
    seen, url = [], "/admin/cohorts/KEY"
    while url:
        body = client.get(url).get_data(as_text=True)
        seen += re.findall(r'data-testid="participant-link">([^<]+)</a>', body)
        found = re.search(r'href="([^"]+)" rel="next"', body)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == sorted(EMAILS)
    assert "Halaman 5 dari 5" in body and 'rel="prev"' in body


def test_same_statements_on_the_first_page_and_far_down(app, learning, admin):
    _cohort(learning)
    client = app.test_client()
    with counted(app) as first:
        body = client.get("/api/v1/cohorts/KEY/enrollments?per_page=2", headers=admin).get_json()
    for _ in range(8):
        body = client.get(body["next"], headers=admin).get_json()
    with counted(app) as later:
        assert client.get(body["next"], headers=admin).status_code == 200
    # (The first request also records the token's use, a write that happens at most once a while.)
    reads = [s for s in first if s not in writes(first)]
    assert len(reads) == len(later) == 3, "\n\n".join(first + ["----"] + later)
    assert sum("users.email >" in s for s in later) == 1


def test_the_csv_has_every_participant_with_progress(app, learning, admin, monkeypatch):
    monkeypatch.setattr(enrollments, "CSV_BATCH", 4)
    _cohort(learning)
    client = app.test_client()
    answer = client.get("/api/v1/cohorts/KEY/enrollments?format=csv", headers=admin)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [r["email"] for r in rows] == sorted(EMAILS)
    assert {r["bagian_selesai"] for r in rows} == {"0"}
    page = log_in(app, ADMIN).get("/admin/cohorts/KEY/peserta.csv?wilayah=7371")
    assert page.status_code == 200 and len(list(csv.DictReader(io.StringIO(page.get_data(as_text=True))))) == 11


@pytest.mark.postgres
def test_a_later_page_is_found_through_the_email_index(pg_app, pg_learning):
    """The plan of a cursor page: an index scan in e-mail order, no sort of the cohort's rows."""
    cohort_id = pg_learning.cohort(code="BIG")
    with pg_app.app_context():
        db.session.execute(text(
            "INSERT INTO users (email, name, created_at, active) SELECT format('p%s@guru.sd.belajar.id', "
            "lpad(g::text, 6, '0')), 'P', now(), true FROM generate_series(1, 20000) g"))
        db.session.execute(text(
            "INSERT INTO enrollments (user_id, cohort_id, programme_year, status, kode_kabkota, created_at) "
            "SELECT id, :c, 2026, 'aktif', '7371', now() FROM users WHERE email LIKE 'p%'"), {"c": cohort_id})
        db.session.commit()
        db.session.execute(text("ANALYZE users; ANALYZE enrollments"))
        db.session.commit()
        cohort = db.session.get(Cohort, cohort_id)
        with sent(pg_app, "ORDER BY users.email") as seen:
            page = enrollments.enrollments_page(cohort, per_page=50,
                                                after=encode_cursor(["p015000@guru.sd.belajar.id"]))
        assert page.rows[0]["email"] == "p015001@guru.sd.belajar.id" and page.total == 20000
        plan = explain(*seen[-1])
    assert "Index Scan" in plan and "users" in plan, plan
    assert "Sort" not in plan, plan
    # Only the total (an aggregate over the cohort, alias enrollments_1) may read the table whole.
    assert not [line for line in plan.splitlines() if "Seq Scan on enrollments " in line + " "
                and "enrollments_1" not in line], plan
