"""Removal of a determined candidate: the dinas proposes for its own kab/kota, the LPMP decides; approval
promotes the best-ranked cadangan of the same quota only; every step audited; the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bench.pool_datagen import write_pool
from lms.auth import services as auth_services
from lms.auth.models import User
from lms.core.audit import AuditEvent
from lms.core.errors import Forbidden, Invalid
from lms.extensions import db
from lms.selection import removal
from lms.selection.models import RemovalProposal, SelectionEntry
from lms.selection.runs import RunInputs, run_selection

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
ALLOWED = ("belajar.id",)
ADMIN = "admin.satu@belajar.id"
DINAS = "dinas.satu@belajar.id"
DINAS_ELSEWHERE = "dinas.dua@belajar.id"
LPMP = "lpmp.satu@belajar.id"
TEACHER = "guru.satu@guru.sd.belajar.id"
ROLES = {ADMIN: "admin_angkatan", DINAS: "dinas", DINAS_ELSEWHERE: "dinas", LPMP: "lpmp", TEACHER: "guru"}


@dataclass
class World:
    """A pgt2024 run, the accounts, and the candidates the tests act on."""

    run_id: int
    #: A ditetapkan candidate, its kab/kota (the dinas user's) and quota group.
    entry_id: int
    kode: str
    group: str
    #: The best-ranked cadangan of that group (promoted on approval) and the one after it.
    next_cadangan_id: int
    second_cadangan_id: int
    #: The best-ranked cadangan of another group (never touched).
    other_cadangan_id: int
    #: A cadangan of the dinas user's kab/kota, if any (not proposable).
    own_cadangan_id: int | None
    users: dict[str, int]


def build_world(app, tmp_path, *, n: int = 600, total: int = 150) -> World:
    pool = write_pool(tmp_path / "pool.jsonl", n)
    with app.app_context():
        run = run_selection(RunInputs(policy="pgt2024", pool=pool, total=total), now=NOW)
        assert run.status == "done", run.errors
        groups = [g for g, in db.session.execute(
            select(SelectionEntry.quota_group).where(SelectionEntry.run_id == run.id,
                                                     SelectionEntry.status == "cadangan")
            .group_by(SelectionEntry.quota_group).having(func.count() >= 2).order_by(SelectionEntry.quota_group))]
        group, other_group = groups[0], groups[1]
        entry = _first(run.id, group, "ditetapkan")
        cadangan = list(db.session.scalars(select(SelectionEntry).where(
            SelectionEntry.run_id == run.id, SelectionEntry.quota_group == group,
            SelectionEntry.status == "cadangan").order_by(SelectionEntry.rank).limit(2)))
        own_cadangan = db.session.scalar(select(SelectionEntry.id).where(
            SelectionEntry.run_id == run.id, SelectionEntry.kode_kabkota == entry.kode_kabkota,
            SelectionEntry.status == "cadangan").limit(1))
        users = {}
        for email, role in ROLES.items():
            user = auth_services.get_or_create_account(email, now=NOW, allowed_domains=ALLOWED)
            auth_services.grant_role(user, role, now=NOW)
            users[email] = user.id
        removal.assign_region(db.session.get(User, users[DINAS]), entry.kode_kabkota)
        elsewhere = _first(run.id, other_group, "ditetapkan").kode_kabkota
        removal.assign_region(db.session.get(User, users[DINAS_ELSEWHERE]), elsewhere)
        world = World(run.id, entry.id, entry.kode_kabkota, group, cadangan[0].id, cadangan[1].id,
                      _first(run.id, other_group, "cadangan").id, own_cadangan, users)
        db.session.commit()
        return world


def _first(run_id: int, group: str, status: str) -> SelectionEntry:
    return db.session.scalar(select(SelectionEntry).where(
        SelectionEntry.run_id == run_id, SelectionEntry.quota_group == group, SelectionEntry.status == status)
        .order_by(SelectionEntry.rank).limit(1))


def statuses(run_id: int) -> dict[int, str]:
    return dict(db.session.execute(select(SelectionEntry.id, SelectionEntry.status)
                                   .where(SelectionEntry.run_id == run_id)).all())


def user(world: World, email: str):
    return db.session.get(User, world.users[email])


def audit_actions(entry_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "selection_entry", AuditEvent.subject_id == str(entry_id)).order_by(AuditEvent.id)))


@pytest.fixture
def world(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    return build_world(app, tmp_path)


# --- the services -----------------------------------------------------------------------------------------------

def test_approval_promotes_the_best_ranked_cadangan_of_the_same_quota_only(app, world):
    with app.app_context():
        before = statuses(world.run_id)
        entry = removal.get_entry(world.entry_id)
        proposal = removal.propose(entry, "pensiun", "SK pensiun 2026", dinas=user(world, DINAS), now=NOW)
        db.session.commit()
        assert proposal.status == "diajukan" and statuses(world.run_id) == before  # nothing moves yet
        removal.decide(proposal, approve=True, note="Sesuai SK", lpmp=user(world, LPMP), now=NOW)
        db.session.commit()
        after = statuses(world.run_id)
        changed = {entry_id: (before[entry_id], after[entry_id]) for entry_id in before
                   if before[entry_id] != after[entry_id]}
        assert changed == {world.entry_id: ("ditetapkan", "dihapus"),
                           world.next_cadangan_id: ("cadangan", "ditetapkan")}
        assert after[world.second_cadangan_id] == "cadangan" and after[world.other_cadangan_id] == "cadangan"
        proposal = db.session.get(RemovalProposal, proposal.id)
        assert (proposal.status, proposal.promoted_entry_id, proposal.decision_note) == (
            "disetujui", world.next_cadangan_id, "Sesuai SK")
        assert removal.get_entry(world.entry_id).alasan.startswith("Dihapus: Pensiun")
        assert audit_actions(world.entry_id) == ["selection.removal.propose", "selection.removal.approve"]
        approve = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.removal.approve"))
        assert approve.actor_id == world.users[LPMP]
        assert approve.data["promoted_entry_id"] == world.next_cadangan_id


def test_rejection_changes_nothing_but_the_proposal(app, world):
    with app.app_context():
        before = statuses(world.run_id)
        proposal = removal.propose(removal.get_entry(world.entry_id), "mengundurkan_diri", "Surat pengunduran diri",
                                   dinas=user(world, DINAS), now=NOW)
        removal.decide(proposal, approve=False, note="Surat belum ditandatangani", lpmp=user(world, LPMP), now=NOW)
        db.session.commit()
        assert statuses(world.run_id) == before
        proposal = db.session.get(RemovalProposal, proposal.id)
        assert (proposal.status, proposal.promoted_entry_id, proposal.decided_by_id) == (
            "ditolak", None, world.users[LPMP])
        assert audit_actions(world.entry_id) == ["selection.removal.propose", "selection.removal.reject"]
        # Rejected: the dinas may propose again.
        again = removal.propose(removal.get_entry(world.entry_id), "mengundurkan_diri", "Surat bertanda tangan",
                                dinas=user(world, DINAS), now=NOW)
        assert again.status == "diajukan"


def test_who_may_propose_and_decide(app, world):
    with app.app_context():
        entry = removal.get_entry(world.entry_id)
        with pytest.raises(Forbidden):
            removal.propose(entry, "pensiun", "", dinas=user(world, DINAS_ELSEWHERE), now=NOW)
        with pytest.raises(Forbidden):
            removal.propose(entry, "pensiun", "", dinas=user(world, LPMP), now=NOW)
        with pytest.raises(Invalid):
            removal.propose(entry, "bukan_alasan", "", dinas=user(world, DINAS), now=NOW)
        proposal = removal.propose(entry, "pensiun", "", dinas=user(world, DINAS), now=NOW)
        with pytest.raises(removal.ProposalConflict):
            removal.propose(entry, "meninggal_dunia", "", dinas=user(world, DINAS), now=NOW)
        with pytest.raises(Forbidden):
            removal.decide(proposal, approve=True, note="", lpmp=user(world, DINAS), now=NOW)
        removal.decide(proposal, approve=True, note="", lpmp=user(world, LPMP), now=NOW)
        with pytest.raises(removal.ProposalConflict):
            removal.decide(proposal, approve=False, note="", lpmp=user(world, LPMP), now=NOW)
        with pytest.raises(removal.ProposalConflict):  # dihapus now
            removal.propose(entry, "pensiun", "", dinas=user(world, DINAS), now=NOW)


# --- the API ----------------------------------------------------------------------------------------------------

def tokens(app, world: World) -> dict[str, dict]:
    with app.app_context():
        made = {}
        for email in ROLES:
            _row, token = auth_services.create_token(user(world, email), days=30, now=NOW)
            made[email] = {"Authorization": f"Bearer {token}"}
        db.session.commit()
        return made


@pytest.fixture
def api(app, world):
    return app.test_client(), tokens(app, world)


def test_api_refusals(api, world):
    client, auth = api
    url = f"/api/v1/selection/entries/{world.entry_id}/removals"
    body = {"reason": "pensiun", "note": "SK pensiun"}
    for email in (DINAS_ELSEWHERE, LPMP, ADMIN, TEACHER):
        response = client.post(url, json=body, headers=auth[email])
        assert response.status_code == 403, email
        assert response.get_json()["code"] == "forbidden"
    assert client.post(url, json=body).status_code == 401
    invalid = client.post(url, json={"reason": "bosan", "note": ""}, headers=auth[DINAS])
    assert invalid.status_code == 422 and invalid.get_json()["code"] == "invalid"
    assert "reason" in invalid.get_json()["errors"]
    first = client.post(url, json=body, headers=auth[DINAS])
    assert first.status_code == 201
    second = client.post(url, json=body, headers=auth[DINAS])
    assert second.status_code == 409 and second.get_json()["code"] == "proposal_exists" and second.get_json()["message"]
    if world.own_cadangan_id:
        cadangan = client.post(f"/api/v1/selection/entries/{world.own_cadangan_id}/removals", json=body,
                               headers=auth[DINAS])
        assert cadangan.status_code == 409
    decision = f"/api/v1/selection/removals/{first.get_json()['id']}/decision"
    for email in (DINAS, ADMIN, TEACHER):
        assert client.post(decision, json={"approve": True}, headers=auth[email]).status_code == 403, email
    assert client.post(decision, json={"approve": "ya"}, headers=auth[LPMP]).status_code == 422
    rejected = client.post(decision, json={"approve": False, "note": "Belum lengkap"}, headers=auth[LPMP])
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "ditolak"
    assert client.post(decision, json={"approve": True}, headers=auth[LPMP]).status_code == 409
    assert client.get("/api/v1/selection/runs", headers=auth[TEACHER]).status_code == 403
    assert client.get("/api/v1/selection/runs/999", headers=auth[LPMP]).get_json()["code"] == "not_found"


def test_api_flow_shows_the_current_state(app, api, world):
    client, auth = api
    runs = client.get("/api/v1/selection/runs", headers=auth[ADMIN]).get_json()["runs"]
    assert [r["id"] for r in runs] == [world.run_id]
    detail = client.get(f"/api/v1/selection/runs/{world.run_id}", headers=auth[ADMIN]).get_json()
    assert sum(q["quota"] for q in detail["quotas"]) == 150 and detail["counts"]["ditetapkan"] == 150
    entries_url = f"/api/v1/selection/runs/{world.run_id}/entries"
    own = client.get(entries_url, query_string={"kode_kabkota": world.kode}, headers=auth[DINAS]).get_json()
    assert own["total"] == len(own["entries"]) > 0
    assert {e["kode_kabkota"] for e in own["entries"]} == {world.kode}
    assert all(e["nik_masked"] and "*" in e["nik_masked"] for e in own["entries"])
    assert "nik_masked" not in client.get(entries_url, headers=auth[ADMIN]).get_json()["entries"][0]
    assert client.get(entries_url, query_string={"status": "lain"}, headers=auth[ADMIN]).status_code == 422

    proposed = client.post(f"/api/v1/selection/entries/{world.entry_id}/removals",
                           json={"reason": "meninggal_dunia", "note": "Akta kematian"}, headers=auth[DINAS])
    assert proposed.status_code == 201
    body = proposed.get_json()
    assert (body["status"], body["reason"], body["proposed_by"]) == ("diajukan", "meninggal_dunia", DINAS)
    pending = client.get("/api/v1/selection/removals", query_string={"status": "diajukan"}, headers=auth[LPMP])
    assert [p["id"] for p in pending.get_json()["removals"]] == [body["id"]]
    assert client.get("/api/v1/selection/removals", headers=auth[DINAS]).get_json()["total"] == 1
    assert client.get("/api/v1/selection/removals", headers=auth[DINAS_ELSEWHERE]).get_json()["total"] == 0
    listed = client.get(entries_url, query_string={"kode_kabkota": world.kode, "status": "ditetapkan"},
                        headers=auth[DINAS]).get_json()["entries"]
    assert next(e for e in listed if e["id"] == world.entry_id)["pending_proposal_id"] == body["id"]

    decided = client.post(f"/api/v1/selection/removals/{body['id']}/decision",
                          json={"approve": True, "note": "Terverifikasi"}, headers=auth[LPMP])
    assert decided.status_code == 200
    decision = decided.get_json()
    assert (decision["status"], decision["promoted_entry_id"], decision["decided_by"]) == (
        "disetujui", world.next_cadangan_id, LPMP)
    removed = client.get(entries_url, query_string={"status": "dihapus"}, headers=auth[LPMP]).get_json()["entries"]
    assert [e["id"] for e in removed] == [world.entry_id]
    group = client.get(entries_url, query_string={"status": "ditetapkan", "per_page": 500},
                       headers=auth[LPMP]).get_json()["entries"]
    assert world.next_cadangan_id in {e["id"] for e in group} and world.entry_id not in {e["id"] for e in group}
    counts = client.get(f"/api/v1/selection/runs/{world.run_id}", headers=auth[ADMIN]).get_json()["counts"]
    assert counts["ditetapkan"] == 150 and counts["dihapus"] == 1
    with app.app_context():
        live = dict(db.session.execute(select(SelectionEntry.status, func.count())
                                       .where(SelectionEntry.run_id == world.run_id)
                                       .group_by(SelectionEntry.status)).all())
    assert counts == live
