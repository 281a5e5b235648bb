"""No input is a 500 in penetapan: every malformed pool line is reported by line number (CLI check, import and
run, and the upload on the page), and the API and pages answer 4xx for bodies, filters, pages and ids out of
range, changing nothing."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from bench.pool_datagen import pool
from lms.extensions import db
from lms.selection.candidate import read_pool
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionPool, SelectionRun
from tests.selection.test_removal import ADMIN, DINAS, LPMP, tokens
from tests.selection.test_views import html, log_in, world  # noqa: F401 - the fixture

GOOD = [json.dumps(record) for record in pool(3, seed=11)]


def _with(field: str, raw: str) -> str:
    """The second good line with ``field``'s value replaced by ``raw`` (JSON text, possibly not valid JSON)."""
    record = json.loads(GOOD[1])
    record[field] = "@@"
    return json.dumps(record).replace('"@@"', raw)


BAD_LINES = {
    "ukg_infinity": _with("ukg_skor", "Infinity").encode(),
    "ukg_nan": _with("ukg_skor", "NaN").encode(),
    "ukg_1e308": _with("ukg_skor", "1e308").encode(),
    "ukg_1e400": _with("ukg_skor", "1e400").encode(),
    "ukg_negative": _with("ukg_skor", "-1").encode(),
    "ukg_superscript": _with("ukg_skor", '"²"').encode(),
    "ukg_tahun_huge": _with("ukg_tahun", "9" * 5000).encode(),
    "nik_superscript": _with("nik", json.dumps("²" * 16)).encode(),
    "nik_arabic_indic": _with("nik", json.dumps("٣١٧١٠١٠١٠١٩٠٠٠٠١")).encode(),
    "nama_too_long": _with("nama", json.dumps("N" * 201)).encode(),
    "npsn_too_long": _with("npsn", json.dumps("1" * 9)).encode(),
    "email_too_long": _with("email", json.dumps("a" * 250 + "@x.id")).encode(),
    "array_line": b"[1, 2, 3]",
    "nama_object": _with("nama", "{}").encode(),
    "jenis_object": _with("riwayat_mengajar", '[{"mulai": "2010-01-01", "jenis": {}}]').encode(),
    "nul_escaped": _with("nama", '"Siti\\u0000Rahayu"').encode(),
    "nul_raw": _with("nama", '"Siti').encode() + b"\x00" + b'Rahayu"',
    "lone_surrogate": _with("nama", '"Siti \\ud800"').encode(),
    "invalid_utf8": _with("nama", '"Siti').encode() + b"\xff\xfe" + b'"',
    "nested_100000": b"[" * 100_000 + b"]" * 100_000,
    "nested_object_value": _with("kualifikasi", "[" * 100_000 + "]" * 100_000).encode(),
}


def pool_bytes(bad: bytes) -> bytes:
    return b"\n".join([GOOD[0].encode(), bad, GOOD[2].encode()]) + b"\n"


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_read_pool_reports_the_line_and_never_raises(case):
    lines = io.BytesIO(pool_bytes(BAD_LINES[case]))
    results = [(line, candidate is not None, reasons) for line, candidate, reasons in read_pool(lines)]
    assert [(line, ok) for line, ok, _reasons in results] == [(1, True), (2, False), (3, True)]
    assert results[1][2] and all(isinstance(reason, str) and reason for reason in results[1][2])


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_the_cli_reports_the_bad_line_in_check_import_and_run(app, tmp_path, case):
    path = tmp_path / "pool.jsonl"
    path.write_bytes(pool_bytes(BAD_LINES[case]))
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["selection", "check", str(path), "--policy", "pgt2024"])
    assert checked.exit_code == 1 and isinstance(checked.exception, SystemExit), checked.output
    assert '"line": 2' in checked.output and checked.output.count('"nik"') == 2
    imported = runner.invoke(args=["selection", "import", str(path)])
    assert imported.exit_code == 1 and isinstance(imported.exception, SystemExit)
    assert "line 2:" in imported.output and "nothing was imported" in imported.output
    out = tmp_path / "out.csv"
    ran = runner.invoke(args=["selection", "run", "--policy", "pgt2024", "--pool", str(path), "--total", "2",
                              "--out", str(out)])
    assert ran.exit_code == 1 and isinstance(ran.exception, SystemExit)
    assert "line 2:" in ran.output and "nothing was determined" in ran.output
    assert not out.exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SelectionPool)) == 0
        run = db.session.scalars(select(SelectionRun)).one()
        assert run.status == "failed" and run.failure_reason is None and [e["line"] for e in run.errors] == [2]
        assert db.session.scalar(select(func.count()).select_from(SelectionEntry)) == 0


@pytest.mark.parametrize("case", ["ukg_infinity", "nik_arabic_indic", "nul_raw", "invalid_utf8", "nested_100000",
                                  "nama_too_long"])
def test_a_bad_line_in_an_uploaded_pool_is_reported_on_the_page(app, world, case):  # noqa: F811
    client = log_in(app, ADMIN)
    with app.app_context():
        before = db.session.scalar(select(func.max(SelectionRun.id)))
    response = client.post("/penetapan/jalankan", data={
        "policy": "pgt2024", "total": "2", "pool": (io.BytesIO(pool_bytes(BAD_LINES[case])), "pool.jsonl")},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    page = html(response)
    assert 'data-testid="run-errors"' in page and "Baris 2" in page
    with app.app_context():
        run = db.session.scalar(select(SelectionRun).where(SelectionRun.id > before))
        assert run.status == "failed" and run.failure_reason is None and [e["line"] for e in run.errors] == [2]


# --- the API -------------------------------------------------------------------------------------------------------

def snapshot(app) -> tuple:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RemovalProposal)),
                tuple(db.session.execute(select(SelectionEntry.status, func.count())
                                         .group_by(SelectionEntry.status).order_by(SelectionEntry.status)).all()),
                db.session.scalar(select(func.count()).select_from(SelectionRun)))


@pytest.mark.parametrize("url", [
    "/api/v1/selection/runs/2147483648", "/api/v1/selection/runs/99999999999999999999999/entries",
    "/api/v1/selection/runs/0"])
def test_api_ids_out_of_range_are_404(app, world, url):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    response = client.get(url, headers=auth[LPMP])
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


PAGING = ["page=2147483648", "page=99999999999999999999999", "page=0", "page=-1", "page=abc", "page=%C2%B2",
          "per_page=501", "per_page=0", "status=raja", "page=%00", "status=%FF"]


@pytest.mark.parametrize("query", PAGING + ["kode_kabkota=%C2%B2%C2%B2%C2%B2%C2%B2", "kode_kabkota=12345",
                                            "kode_kabkota=%D9%A3%D9%A1%D9%A7%D9%A1"])
def test_api_bad_entry_filters_are_422(app, world, query):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    response = client.get(f"/api/v1/selection/runs/{world.run_id}/entries?{query}", headers=auth[LPMP])
    assert response.status_code == 422 and response.get_json()["code"] == "invalid", response.get_json()


@pytest.mark.parametrize("query", PAGING)
def test_api_bad_removal_filters_are_422(app, world, query):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    response = client.get(f"/api/v1/selection/removals?{query}", headers=auth[LPMP])
    assert response.status_code == 422 and response.get_json()["code"] == "invalid", response.get_json()


def test_api_the_last_integer_page_is_an_empty_page(app, world):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    body = client.get(f"/api/v1/selection/runs/{world.run_id}/entries?page=2147483647&per_page=500",
                      headers=auth[LPMP]).get_json()
    assert body["entries"] == [] and body["page"] == 2147483647 and body["total"] > 0
    assert client.get("/api/v1/selection/removals?page=2147483647", headers=auth[LPMP]).get_json()["removals"] == []


@pytest.mark.parametrize("body", [
    {"reason": "pensiun", "note": "x" * 2001}, {"reason": "x" * 10_000}, {"reason": {}}, {"reason": None},
    {}, {"reason": "pensiun", "extra": 1}, {"reason": "pensiun", "note": {}}, {"reason": ["pensiun"]}])
def test_api_bad_proposals_are_422_and_change_nothing(app, world, body):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    before = snapshot(app)
    response = client.post(f"/api/v1/selection/entries/{world.entry_id}/removals", json=body, headers=auth[DINAS])
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert snapshot(app) == before


@pytest.mark.parametrize("raw", [b'{"reason": "pensiun", "note": NaN}', b'{"reason": "pensiun\\u0000"}',
                                 b'{"reason": "\xff"}', b"[" * 100_000 + b"]" * 100_000, b'["pensiun"]'])
def test_api_unreadable_bodies_are_422(app, world, raw):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    before = snapshot(app)
    response = client.post(f"/api/v1/selection/entries/{world.entry_id}/removals", data=raw,
                           content_type="application/json", headers=auth[DINAS])
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert snapshot(app) == before


def test_api_decisions_and_publication_validate_their_bodies(app, world):  # noqa: F811
    client, auth = app.test_client(), tokens(app, world)
    made = client.post(f"/api/v1/selection/entries/{world.entry_id}/removals", json={"reason": "pensiun"},
                       headers=auth[DINAS])
    assert made.status_code == 201
    proposal_id = made.get_json()["id"]
    before = snapshot(app)
    url = f"/api/v1/selection/removals/{proposal_id}/decision"
    for body in ({"approve": "true"}, {"approve": 1}, {}, {"approve": True, "note": "x" * 2001},
                 {"approve": None}):
        response = client.post(url, json=body, headers=auth[LPMP])
        assert response.status_code == 422 and response.get_json()["code"] == "invalid", body
    assert client.post("/api/v1/selection/removals/2147483648/decision", json={"approve": True},
                       headers=auth[LPMP]).status_code == 404
    publication = f"/api/v1/selection/runs/{world.run_id}/publication"
    for body in ({"cohort": {}}, {"cohort": "   "}, {"cohort": "C" * 33}, {"cohort": "X", "allow_placeholder": "yes"},
                 {"cohort": "X", "allow_placeholder": 1}):
        response = client.post(publication, json=body, headers=auth[ADMIN])
        assert response.status_code == 422 and response.get_json()["code"] == "invalid", body
    assert snapshot(app) == before
    decided = client.post(url, json={"approve": False, "note": "dokumen lengkap"}, headers=auth[LPMP])
    assert decided.status_code == 200 and decided.get_json()["status"] == "ditolak"
    again = client.post(url, json={"approve": True}, headers=auth[LPMP])
    assert again.status_code == 409 and again.get_json()["code"] == "proposal_conflict"


# --- pages ---------------------------------------------------------------------------------------------------------

def test_pages_take_any_page_and_filter_value(app, world):  # noqa: F811
    client = log_in(app, LPMP)
    for query in ("page=2147483648", "page=99999999999999999999999", "page=%C2%B2", "page=-3",
                  "kode_kabkota=%C2%B2%C2%B2%C2%B2%C2%B2", "kode_kabkota=%D9%A3%D9%A1%D9%A7%D9%A1", "status=x"):
        assert client.get(f"/penetapan/{world.run_id}?{query}").status_code == 200, query
        assert client.get(f"/penetapan/usulan?{query}").status_code == 200, query
    assert client.get("/penetapan/2147483648").status_code == 404
    assert client.get("/penetapan/99999999999999999999").status_code == 404
    assert client.get(f"/penetapan/{world.run_id}?page=%00").status_code == 422


@pytest.mark.parametrize("total", ["²", "٣", "99999999999999999999", "2147483648", "0", "-1", "1e3"])
def test_the_run_form_refuses_a_total_out_of_range(app, world, total):  # noqa: F811
    client = log_in(app, ADMIN)
    before = snapshot(app)
    response = client.post("/penetapan/jalankan", data={
        "policy": "pgt2024", "total": total, "pool": (io.BytesIO(b"\n".join(g.encode() for g in GOOD)), "p.jsonl")},
        content_type="multipart/form-data", follow_redirects=True)
    assert [r.status_code for r in response.history] == [303] and 'data-testid="error-total"' in html(response)
    assert snapshot(app) == before


def test_over_long_notes_on_the_forms_are_refused_and_change_nothing(app, world):  # noqa: F811
    before = snapshot(app)
    response = log_in(app, DINAS).post(f"/penetapan/entri/{world.entry_id}/usulan",
                                       data={"reason": "pensiun", "note": "x" * 2001}, follow_redirects=True)
    assert [r.status_code for r in response.history] == [303] and 'data-testid="error-note"' in html(response)
    assert snapshot(app) == before
    made = log_in(app, DINAS).post(f"/penetapan/entri/{world.entry_id}/usulan", data={"reason": "pensiun"})
    assert made.status_code == 302
    with app.app_context():
        proposal_id = db.session.scalar(select(RemovalProposal.id))
    before = snapshot(app)
    response = log_in(app, LPMP).post(f"/penetapan/usulan/{proposal_id}/keputusan",
                                      data={"confirm": "yes", "decision": "setujui", "note": "x" * 2001},
                                      follow_redirects=True)
    assert [r.status_code for r in response.history] == [303] and 'data-testid="error-decision"' in html(response)
    assert snapshot(app) == before


def test_api_a_refused_roster_import_is_422_with_the_import_and_publishes_nothing(app, tmp_path, frozen_clock):
    from datetime import date

    from lms.auth import services as auth_services
    from lms.cohorts import services as cohorts
    from lms.cohorts.roster_models import RosterImport
    from lms.selection.runs import RunInputs, run_selection
    from tests.selection.test_removal import ALLOWED, NOW

    frozen_clock(NOW)
    records = [json.loads(line) for line in GOOD]
    records[0]["email"] = "bukan-alamat-email"
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with app.app_context():
        run_id = run_selection(RunInputs(policy="pgt2024", pool=path, total=100), now=NOW).id
        admin = auth_services.get_or_create_account(ADMIN, now=NOW, allowed_domains=ALLOWED)
        auth_services.grant_role(admin, "admin_angkatan", now=NOW)
        _row, token = auth_services.create_token(admin, days=30, now=NOW)
        cohorts.create_cohort(code="TOLAK-1", name="Angkatan", programme_year=2026,
                              learning_start=date(2026, 12, 1), learning_end=date(2026, 12, 31))
        db.session.commit()
    response = app.test_client().post(f"/api/v1/selection/runs/{run_id}/publication",
                                      headers={"Authorization": f"Bearer {token}"},
                                      json={"cohort": "TOLAK-1", "allow_placeholder": True})
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "roster_import_failed" and body["message"]
    assert body["run_id"] == run_id and body["cohort"] == "TOLAK-1" and body["status"] != "done"
    with app.app_context():
        assert db.session.get(RosterImport, body["import_id"]).status == body["status"]  # the job is kept
        assert db.session.get(SelectionRun, run_id).published_cohort_id is None
