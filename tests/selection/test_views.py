"""Penetapan pages: access per role, the list in its current state (filters, paging, masked NIK, fixed query
count), proposing and deciding removals, publishing a run, and starting a run from an upload."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from bench.pool_datagen import write_pool
from lms.auth import services as auth_services
from lms.cohorts import services as cohorts
from lms.cohorts.roster_models import RosterEntry
from lms.core.audit import AuditEvent
from lms.core.nik import decrypt_nik, mask_nik
from lms.extensions import db
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionRun
from tests.learning import log_in
from tests.queries import counted
from tests.selection.test_removal import ADMIN, ALLOWED, DINAS, DINAS_ELSEWHERE, LPMP, NOW, TEACHER, build_world

SUPER = "super.satu@belajar.id"


@pytest.fixture
def world(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    app.config["WTF_CSRF_ENABLED"] = False
    return build_world(app, tmp_path)


def html(response) -> str:
    return response.get_data(as_text=True)


def entry_rows(page: str) -> dict[int, str]:
    """entry id -> status, as the list shows them."""
    return {int(i): s for i, s in re.findall(r'data-entry-id="(\d+)"[^>]*data-status="(\w+)"', page)}


# --- access ---------------------------------------------------------------------------------------------------

def test_pages_render_for_each_role_and_refuse_teachers(app, world):
    with app.app_context():
        superadmin = auth_services.get_or_create_account(SUPER, now=NOW, allowed_domains=ALLOWED)
        auth_services.grant_role(superadmin, "superadmin", now=NOW)
        proposal_id = 1
        db.session.commit()
    pages = ["/penetapan/", f"/penetapan/{world.run_id}", "/penetapan/usulan"]
    for email in (ADMIN, DINAS, LPMP, SUPER):
        client = log_in(app, email)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (email, url)
            assert 'data-testid="menu-penetapan"' in html(response)
    teacher, anonymous = log_in(app, TEACHER), app.test_client()
    posts = [f"/penetapan/{world.run_id}/terbitkan", f"/penetapan/entri/{world.entry_id}/usulan",
             f"/penetapan/usulan/{proposal_id}/keputusan", "/penetapan/jalankan"]
    for url in pages:
        assert teacher.get(url).status_code == 403, url
        assert anonymous.get(url).status_code == 401, url
    for url in posts:
        assert teacher.post(url, data={}).status_code == 403, url
        assert anonymous.post(url, data={}).status_code == 401, url
    assert 'data-testid="menu-penetapan"' not in html(teacher.get("/"))
    # Each role only its own actions.
    lpmp, dinas, admin = log_in(app, LPMP), log_in(app, DINAS), log_in(app, ADMIN)
    assert lpmp.post(f"/penetapan/entri/{world.entry_id}/usulan", data={"reason": "pensiun"}).status_code == 403
    assert admin.post(f"/penetapan/entri/{world.entry_id}/usulan", data={"reason": "pensiun"}).status_code == 403
    assert dinas.post(f"/penetapan/{world.run_id}/terbitkan", data={"cohort": "X"}).status_code == 403
    assert dinas.post("/penetapan/jalankan", data={}).status_code == 403
    assert log_in(app, DINAS_ELSEWHERE).post(f"/penetapan/entri/{world.entry_id}/usulan",
                                             data={"reason": "pensiun", "note": ""}).status_code == 403


def test_forms_need_a_csrf_token(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    response = log_in(app, DINAS).post(f"/penetapan/entri/{world.entry_id}/usulan", data={"reason": "pensiun"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(RemovalProposal.id))) == 0


# --- the list ---------------------------------------------------------------------------------------------------

def test_runs_list_shows_id_policy_hash_and_counts(app, world):
    page = html(log_in(app, LPMP).get("/penetapan/"))
    with app.app_context():
        run = db.session.get(SelectionRun, world.run_id)
        assert run.input_hash[:12] in page and "pgt2024" in page and f"#{run.id}" in page
    assert ">150<" in page  # ditetapkan
    assert 'action="/penetapan/jalankan' not in page  # the upload form is for admin_angkatan
    assert 'action="/penetapan/jalankan' in html(log_in(app, ADMIN).get("/penetapan/"))


def test_dinas_sees_own_kabkota_by_default_with_masked_nik_and_forms(app, world):
    dinas = log_in(app, DINAS)
    page = html(dinas.get(f"/penetapan/{world.run_id}"))
    with app.app_context():
        own = db.session.scalars(select(SelectionEntry).where(SelectionEntry.run_id == world.run_id,
                                                              SelectionEntry.kode_kabkota == world.kode)).all()
        niks = {e.id: decrypt_nik(e.nik_encrypted) for e in own}
        ditetapkan = {e.id for e in own if e.status == "ditetapkan"}
    assert set(entry_rows(page)) == {e.id for e in own}
    for nik in niks.values():
        assert nik not in page and mask_nik(nik) in page
    forms = {int(i) for i in re.findall(r'action="/penetapan/entri/(\d+)/usulan"', page)}
    assert forms == ditetapkan
    # "All" is all of their own; another kab/kota is refused, and not offered in the filter.
    everything = html(dinas.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": ""}))
    assert set(entry_rows(everything)) == {e.id for e in own}
    with app.app_context():
        other = db.session.scalar(select(SelectionEntry.kode_kabkota).where(
            SelectionEntry.run_id == world.run_id, SelectionEntry.kode_kabkota != world.kode).limit(1))
    assert f'<option value="{other}"' not in everything
    refused = dinas.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": other})
    assert refused.status_code == 403 and "kabupaten/kota Anda" in html(refused)
    # The admin sees no NIK column and no forms.
    admin_page = html(log_in(app, ADMIN).get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": world.kode}))
    assert set(entry_rows(admin_page)) == {e.id for e in own}
    assert not any(mask_nik(nik) in admin_page for nik in niks.values()) and "/usulan" not in admin_page.split(
        'data-testid="entries"')[1]


def test_filters_and_paging(app, world):
    client = log_in(app, LPMP)
    cadangan = html(client.get(f"/penetapan/{world.run_id}", query_string={"status": "cadangan"}))
    assert set(entry_rows(cadangan).values()) == {"cadangan"}
    second = html(client.get(f"/penetapan/{world.run_id}", query_string={"page": 2}))
    first = html(client.get(f"/penetapan/{world.run_id}"))
    assert len(entry_rows(first)) == len(entry_rows(second)) == 50
    assert not set(entry_rows(first)) & set(entry_rows(second))
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_the_list_page_issues_a_fixed_number_of_statements(app, world):
    client = log_in(app, DINAS)
    client.get(f"/penetapan/{world.run_id}")  # warm up (session, roles)
    with counted(app) as full:
        assert client.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": ""}).status_code == 200
    with counted(app) as small:
        assert client.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": world.kode}).status_code == 200
    assert len(full) == len(small) <= 12
    assert sum("LIMIT" in s for s in full) >= 1


# --- proposing and deciding ---------------------------------------------------------------------------------------

def test_propose_then_approve_shows_the_new_state(app, world):
    dinas, lpmp = log_in(app, DINAS), log_in(app, LPMP)
    url = f"/penetapan/entri/{world.entry_id}/usulan"
    # A missing reason: 422, the note kept.
    refused = dinas.post(url, data={"reason": "", "note": "Surat no. 12/2026", "kode_kabkota": "saya"},
                         follow_redirects=True)
    assert [r.status_code for r in refused.history] == [303]  # POST-redirect-GET, the note kept
    assert "Surat no. 12/2026" in html(refused) and 'data-testid="error-reason"' in html(refused)
    response = dinas.post(url, data={"reason": "pensiun", "note": "SK pensiun no. 7", "kode_kabkota": "saya"})
    assert response.status_code == 302 and f"#entri-{world.entry_id}" in response.headers["Location"]
    page = html(dinas.get(response.headers["Location"]))
    assert "menunggu keputusan LPMP" in page and 'data-testid="entry-pending"' in page
    assert f'action="/penetapan/entri/{world.entry_id}/usulan"' not in page
    again = dinas.post(url, data={"reason": "meninggal_dunia", "note": "Akta", "kode_kabkota": "saya"},
                       follow_redirects=True)
    assert [r.status_code for r in again.history] == [303] and 'data-testid="propose-error"' in html(again)

    queue = html(lpmp.get("/penetapan/usulan"))
    proposal_id = int(re.search(r'data-proposal-id="(\d+)"', queue).group(1))
    assert "SK pensiun no. 7" in queue and f'action="/penetapan/usulan/{proposal_id}/keputusan"' in queue
    assert lpmp.post(f"/penetapan/usulan/{proposal_id}/keputusan", data={"note": "catatan"}).status_code == 303
    decide = f"/penetapan/usulan/{proposal_id}/keputusan"
    assert dinas.post(decide, data={"confirm": "yes", "decision": "setujui"}).status_code == 403
    unconfirmed = lpmp.post(f"/penetapan/usulan/{proposal_id}/keputusan", data={"decision": "setujui", "note": "OK"},
                            follow_redirects=True)
    assert [r.status_code for r in unconfirmed.history] == [303]
    assert "Centang pernyataan" in unconfirmed.get_data(as_text=True)
    decided = lpmp.post(f"/penetapan/usulan/{proposal_id}/keputusan",
                        data={"confirm": "yes", "decision": "setujui", "note": "OK"})
    assert decided.status_code == 302
    assert "kini ditetapkan" in html(lpmp.get(decided.headers["Location"]))
    assert lpmp.post(decide, data={"confirm": "yes", "decision": "tolak"}).status_code == 303  # already decided
    assert 'data-testid="decision-error"' in html(lpmp.get("/penetapan/usulan"))

    with app.app_context():
        promoted = db.session.get(SelectionEntry, world.next_cadangan_id)
        kode, nama = promoted.kode_kabkota, promoted.nama
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("selection.%"))
                                        .order_by(AuditEvent.id)))
    assert actions == ["selection.removal.propose", "selection.removal.approve"]
    shown = entry_rows(html(lpmp.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": world.kode})))
    assert shown[world.entry_id] == "dihapus"
    shown = entry_rows(html(lpmp.get(f"/penetapan/{world.run_id}", query_string={"kode_kabkota": kode})))
    assert shown[world.next_cadangan_id] == "ditetapkan"
    mine = html(dinas.get("/penetapan/usulan"))
    assert "Disetujui" in mine and nama in mine and 'data-testid="approve"' not in mine
    assert ">1<" in html(lpmp.get("/penetapan/"))  # one dihapus in the run's counts


def test_reject_changes_only_the_proposal(app, world):
    dinas, lpmp = log_in(app, DINAS), log_in(app, LPMP)
    dinas.post(f"/penetapan/entri/{world.entry_id}/usulan", data={"reason": "mengundurkan_diri", "note": "Surat"})
    with app.app_context():
        before = dict(db.session.execute(select(SelectionEntry.id, SelectionEntry.status)).all())
        proposal_id = db.session.scalar(select(RemovalProposal.id))
    response = lpmp.post(f"/penetapan/usulan/{proposal_id}/keputusan",
                         data={"confirm": "yes", "decision": "tolak", "note": "Tidak"})
    assert response.status_code == 302
    with app.app_context():
        assert dict(db.session.execute(select(SelectionEntry.id, SelectionEntry.status)).all()) == before
        assert db.session.get(RemovalProposal, proposal_id).status == "ditolak"
    assert "Ditolak" in html(dinas.get("/penetapan/usulan"))
    assert 'data-testid="no-proposals"' in html(lpmp.get("/penetapan/usulan"))  # nothing pending


# --- admin: publish and run ---------------------------------------------------------------------------------------

def test_admin_publishes_the_current_list_to_a_cohort(app, world):
    with app.app_context():
        cohorts.create_cohort(code="PENETAPAN-1", name="Angkatan Penetapan", programme_year=2026,
                              learning_start=date(2026, 12, 1), learning_end=date(2026, 12, 31))
        db.session.commit()
    admin = log_in(app, ADMIN)
    missing = admin.post(f"/penetapan/{world.run_id}/terbitkan", data={"cohort": ""}, follow_redirects=True)
    assert [r.status_code for r in missing.history] == [303] and 'data-testid="publish-error"' in html(missing)
    page = html(admin.get(f"/penetapan/{world.run_id}"))
    assert 'data-testid="placeholder-banner"' in page and 'data-testid="allow-placeholder"' in page
    # A placeholder policy: refused without the confirmation, nothing imported.
    refused = admin.post(f"/penetapan/{world.run_id}/terbitkan", data={"cohort": "PENETAPAN-1"},
                         follow_redirects=True)
    assert [r.status_code for r in refused.history] == [303] and "placeholder" in html(refused)
    assert 'data-testid="publish-error"' in html(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count(RosterEntry.id))) == 0
    response = admin.post(f"/penetapan/{world.run_id}/terbitkan", data={"cohort": "PENETAPAN-1",
                                                                        "allow_placeholder": "1"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.publish"))
        assert event.data["placeholder_override"] is True and event.actor_id is not None
    assert "PENETAPAN-1" in html(admin.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.scalar(select(func.count(RosterEntry.id))) == 150
        assert db.session.get(SelectionRun, world.run_id).published_cohort_id is not None


def test_admin_starts_a_run_from_an_upload(app, world, tmp_path):
    admin = log_in(app, ADMIN)
    pool = write_pool(tmp_path / "kecil.jsonl", 80, seed=11).read_bytes()
    refused = admin.post("/penetapan/jalankan", data={"policy": "pgt2024", "total": "", "as_of": "2024-01-01",
                                                      "pool": (io.BytesIO(pool), "kecil.jsonl")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert [r.status_code for r in refused.history] == [303]  # POST-redirect-GET, what was typed kept
    assert 'data-testid="error-total"' in html(refused) and 'value="2024-01-01"' in html(refused)
    response = admin.post("/penetapan/jalankan", data={"policy": "pgt2024", "total": "20", "as_of": "",
                                                       "pool": (io.BytesIO(pool), "kecil.jsonl")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert run_id != world.run_id
    page = html(admin.get(response.headers["Location"]))
    assert "selesai" in page.lower() and "kecil.jsonl" in page
    with app.app_context():
        run = db.session.get(SelectionRun, run_id)
        assert run.status == "done" and run.counts["ditetapkan"] == 20 and run.created_by_id is not None
    # The same inputs again: the stored run.
    same = admin.post("/penetapan/jalankan", data={"policy": "pgt2024", "total": "20",
                                                   "pool": (io.BytesIO(pool), "lagi.jsonl")},
                      content_type="multipart/form-data")
    assert same.headers["Location"].endswith(f"/penetapan/{run_id}")
    broken = admin.post("/penetapan/jalankan", data={"policy": "pgt2024", "total": "5",
                                                     "pool": (io.BytesIO(pool + b"{bukan json\n"), "rusak.jsonl")},
                        content_type="multipart/form-data")
    failed = html(admin.get(broken.headers["Location"]))
    assert 'data-testid="run-errors"' in failed and "Baris 81" in failed
