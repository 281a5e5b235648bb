"""A dinas user reads the candidates of their own kab/kota only, in the API and on the pages; LPMP and
admin_angkatan read all; a dinas user tied to no kab/kota reads nothing. Runs on a placeholder policy say so."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.auth import services as auth_services
from lms.cohorts import services as cohorts
from lms.core.audit import AuditEvent
from lms.extensions import db
from lms.selection.models import SelectionEntry, SelectionRun
from lms.selection.runs import PLACEHOLDER_CSV_WARNING, uses_placeholder_policy, write_output
from tests.selection.test_removal import ADMIN, ALLOWED, DINAS, DINAS_ELSEWHERE, LPMP, NOW, build_world, tokens, user
from tests.selection.test_views import entry_rows, html, log_in

UNSCOPED = "dinas.kosong@belajar.id"


@pytest.fixture
def world(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world(app, tmp_path)
    with app.app_context():
        account = auth_services.get_or_create_account(UNSCOPED, now=NOW, allowed_domains=ALLOWED)
        auth_services.grant_role(account, "dinas", now=NOW)
        world.users[UNSCOPED] = account.id
        db.session.commit()
    return world


@pytest.fixture
def api(app, world):
    auth = tokens(app, world)
    with app.app_context():
        _row, token = auth_services.create_token(user(world, UNSCOPED), days=30, now=NOW)
        db.session.commit()
    auth[UNSCOPED] = {"Authorization": f"Bearer {token}"}
    return app.test_client(), auth


def other_kode(app, world) -> str:
    """A kab/kota of the run that is not the dinas user's."""
    with app.app_context():
        return db.session.scalar(select(SelectionEntry.kode_kabkota).where(
            SelectionEntry.run_id == world.run_id, SelectionEntry.kode_kabkota != world.kode).limit(1))


def test_api_entries_of_a_dinas_user_are_their_own_kabkota_only(app, api, world):
    client, auth = api
    url = f"/api/v1/selection/runs/{world.run_id}/entries"
    mine = client.get(url, query_string={"per_page": 500}, headers=auth[DINAS]).get_json()
    assert mine["total"] > 0 and {e["kode_kabkota"] for e in mine["entries"]} == {world.kode}
    other = other_kode(app, world)
    refused = client.get(url, query_string={"kode_kabkota": other}, headers=auth[DINAS])
    assert refused.status_code == 403 and refused.get_json()["code"] == "other_kabkota"
    assert "kabupaten/kota Anda" in refused.get_json()["message"]
    for email in (LPMP, ADMIN):  # they read every kab/kota
        everything = client.get(url, headers=auth[email]).get_json()
        assert everything["total"] == 600, email
        assert client.get(url, query_string={"kode_kabkota": other}, headers=auth[email]).status_code == 200


def test_a_dinas_user_tied_to_no_kabkota_reads_nothing(app, api, world):
    client, auth = api
    for url in ("/api/v1/selection/runs", f"/api/v1/selection/runs/{world.run_id}",
                f"/api/v1/selection/runs/{world.run_id}/entries", "/api/v1/selection/removals"):
        response = client.get(url, headers=auth[UNSCOPED])
        assert response.status_code == 403, url
        assert response.get_json()["code"] == "no_kabkota_scope" and "assign-region" in response.get_json()["message"]
    page = log_in(app, UNSCOPED)
    for url in ("/penetapan/", f"/penetapan/{world.run_id}", "/penetapan/usulan"):
        response = page.get(url)
        assert response.status_code == 403, url
        assert "belum ditautkan ke kabupaten/kota" in html(response)


def test_pages_of_a_dinas_user_show_their_own_kabkota_only(app, world):
    dinas = log_in(app, DINAS)
    other = other_kode(app, world)
    with app.app_context():
        own = set(db.session.scalars(select(SelectionEntry.id).where(SelectionEntry.run_id == world.run_id,
                                                                     SelectionEntry.kode_kabkota == world.kode)))
    for query in ({}, {"kode_kabkota": ""}, {"kode_kabkota": "saya"}, {"kode_kabkota": "semua"}):
        assert set(entry_rows(html(dinas.get(f"/penetapan/{world.run_id}", query_string=query)))) == own, query
    assert dinas.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": other}).status_code == 403
    assert log_in(app, DINAS_ELSEWHERE).get(f"/penetapan/{world.run_id}",
                                            query_string={"kode_kabkota": world.kode}).status_code == 403


def test_proposals_of_another_kabkota_are_neither_listed_nor_allowed(app, api, world):
    client, auth = api
    made = client.post(f"/api/v1/selection/entries/{world.entry_id}/removals", json={"reason": "pensiun"},
                       headers=auth[DINAS])
    assert made.status_code == 201
    assert client.get("/api/v1/selection/removals", headers=auth[DINAS_ELSEWHERE]).get_json()["total"] == 0
    assert client.get("/api/v1/selection/removals", headers=auth[LPMP]).get_json()["total"] == 1
    assert 'data-testid="proposal"' not in html(log_in(app, DINAS_ELSEWHERE).get("/penetapan/usulan"))
    # Proposing on a candidate of another kab/kota: refused, nothing made.
    with app.app_context():
        foreign = db.session.scalar(select(SelectionEntry.id).where(
            SelectionEntry.run_id == world.run_id, SelectionEntry.kode_kabkota != world.kode,
            SelectionEntry.status == "ditetapkan").limit(1))
    refused = client.post(f"/api/v1/selection/entries/{foreign}/removals", json={"reason": "pensiun"},
                          headers=auth[DINAS])
    assert refused.status_code == 403 and "kabupaten/kota Anda" in refused.get_json()["message"]
    page = log_in(app, DINAS).post(f"/penetapan/entri/{foreign}/usulan", data={"reason": "pensiun"})
    assert page.status_code == 403
    assert client.get("/api/v1/selection/removals", headers=auth[LPMP]).get_json()["total"] == 1


# --- placeholder policies ---------------------------------------------------------------------------------------

def test_a_run_on_a_placeholder_policy_says_so_everywhere(app, api, world, tmp_path):
    client, auth = api
    body = client.get(f"/api/v1/selection/runs/{world.run_id}", headers=auth[LPMP]).get_json()
    assert body["placeholder_policy"] is True
    listed = client.get("/api/v1/selection/runs", headers=auth[LPMP]).get_json()["runs"]
    assert [r["placeholder_policy"] for r in listed] == [True]
    assert 'data-testid="placeholder-banner"' in html(log_in(app, LPMP).get(f"/penetapan/{world.run_id}"))
    assert 'data-testid="placeholder-tag"' in html(log_in(app, DINAS).get("/penetapan/"))
    with app.app_context():
        out = tmp_path / "hasil.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            write_output(db.session.get(SelectionRun, world.run_id), f)
        first, header = out.read_text(encoding="utf-8").splitlines()[:2]
        assert first == PLACEHOLDER_CSV_WARNING and first.startswith("# PERINGATAN") and "placeholder" in first
        assert header == "rank,nik,nama,kode_kabkota,status,alasan"
        # A run on an official policy: no banner, no warning line, the field false.
        official = SelectionRun(policy_id="sg2016-ppg", input_hash="0" * 64, status="done", created_at=NOW,
                                params={"placeholder_policy": False}, counts={}, errors=[])
        legacy = SelectionRun(policy_id="sg2016", input_hash="1" * 64, status="done", created_at=NOW, params={},
                              counts={}, errors=[])
        db.session.add_all([official, legacy])
        db.session.commit()
        official_id = official.id
        assert not uses_placeholder_policy(legacy)
        plain = tmp_path / "resmi.csv"
        with open(plain, "w", newline="", encoding="utf-8") as f:
            write_output(official, f)
        assert plain.read_text(encoding="utf-8").startswith("rank,")
    assert client.get(f"/api/v1/selection/runs/{official_id}", headers=auth[LPMP]).get_json()[
        "placeholder_policy"] is False
    assert 'data-testid="placeholder-banner"' not in html(log_in(app, LPMP).get(f"/penetapan/{official_id}"))


def test_api_publishing_a_placeholder_run_needs_allow_placeholder_and_is_audited(app, api, world):
    client, auth = api
    with app.app_context():
        cohorts.create_cohort(code="PH-1", name="Angkatan", programme_year=2026,
                              learning_start=date(2026, 12, 1), learning_end=date(2026, 12, 31))
        db.session.commit()
    url = f"/api/v1/selection/runs/{world.run_id}/publication"
    assert client.post(url, json={"cohort": "PH-1", "allow_placeholder": True}, headers=auth[LPMP]).status_code == 403
    refused = client.post(url, json={"cohort": "PH-1"}, headers=auth[ADMIN])
    assert refused.status_code == 409 and refused.get_json()["code"] == "placeholder_policy"
    assert "placeholder" in refused.get_json()["message"]
    assert client.post(url, json={"cohort": "PH-1", "allow_placeholder": "ya"}, headers=auth[ADMIN]).status_code == 422
    with app.app_context():
        assert db.session.get(SelectionRun, world.run_id).published_cohort_id is None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.publish")) is None
    published = client.post(url, json={"cohort": "PH-1", "allow_placeholder": True}, headers=auth[ADMIN])
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["status"] == "done" and published.get_json()["placeholder_policy"] is True
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.publish"))
        assert event.data["placeholder_override"] is True and event.actor_id == world.users[ADMIN]
