"""A teacher's own determination ("why not me?"): GET /api/v1/me/selection for a determined, a reserve and an
ineligible candidate of a published run, nothing from an unpublished run, only the caller's own data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from bench.pool_datagen import write_pool
from lms.cohorts import services as cohorts
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.selection.models import SelectionEntry, SelectionQuota, SelectionRun
from lms.selection.publish import publish
from lms.selection.runs import RunInputs, run_selection
from tests.learning import log_in
from tests.selection.test_removal import NOW


@dataclass
class Published:
    run_id: int
    #: status -> (email, rank, quota_group, alasan)
    by_status: dict[str, tuple[str, int | None, str, str]]
    quotas: dict[str, int]


def _first(run_id: int, status: str) -> SelectionEntry:
    return db.session.scalar(select(SelectionEntry).where(SelectionEntry.run_id == run_id,
                                                          SelectionEntry.status == status)
                             .order_by(SelectionEntry.rank.desc().nulls_last(), SelectionEntry.line).limit(1))


@pytest.fixture
def published(app, tmp_path, frozen_clock) -> Published:
    frozen_clock(NOW)
    with app.app_context():
        run = run_selection(RunInputs(policy="pgt2024", pool=write_pool(tmp_path / "pool.jsonl", 200), total=40),
                            now=NOW)
        assert run.status == "done", run.errors
        run.published_at = NOW
        by_status = {}
        for status in ("ditetapkan", "cadangan", "tidak_memenuhi_syarat"):
            e = _first(run.id, status)
            by_status[status] = (e.email, e.rank, e.quota_group, e.alasan)
        quotas = {q.quota_group: q.quota for q in db.session.scalars(
            select(SelectionQuota).where(SelectionQuota.run_id == run.id))}
        db.session.commit()
        return Published(run.id, by_status, quotas)


def _cut_off(run_id: int, group: str) -> int:
    return max(db.session.scalars(select(SelectionEntry.rank).where(
        SelectionEntry.run_id == run_id, SelectionEntry.quota_group == group,
        SelectionEntry.status == "ditetapkan")))


def test_each_candidate_gets_their_own_determination(app, published):
    for status, (email, rank, group, alasan) in published.by_status.items():
        body = log_in(app, email).get("/api/v1/me/selection").get_json()
        assert body["status"] == status
        assert body["quota_group"] == group
        assert body["rank"] == rank
        if status == "tidak_memenuhi_syarat":
            assert body["unmet"] and all(u["message"] in alasan for u in body["unmet"])
            assert body["unmet"][0]["rule"] in ("administrasi_2023", "wilayah")
            assert body["unmet"][0]["message"] in body["explanation"]
            assert body["cut_off_rank"] is None
            continue
        with app.app_context():
            cut = _cut_off(published.run_id, group)
        assert body["quota"] == published.quotas[group]
        assert body["cut_off_rank"] == cut
        assert body["unmet"] == []
        assert f"Peringkat Anda {rank} di" in body["explanation"]
        assert "usia, lalu lama terdata di Dapodik" in body["explanation"]
        if status == "ditetapkan":
            assert body["explanation"].startswith("Anda ditetapkan")
        else:
            assert "cadangan" in body["explanation"] and f"sampai peringkat {cut}" in body["explanation"]


def test_an_account_in_no_published_run_gets_null(app, published):
    assert log_in(app, "guru.lain@guru.sd.belajar.id").get("/api/v1/me/selection").get_json() == {"status": None}
    with app.app_context():
        db.session.get(SelectionRun, published.run_id).published_at = None
        db.session.commit()
    email = published.by_status["ditetapkan"][0]
    assert log_in(app, email).get("/api/v1/me/selection").get_json() == {"status": None}


def test_explanation_in_english_on_request(app, published):
    email = published.by_status["tidak_memenuhi_syarat"][0]
    client = log_in(app, email)
    body = client.get("/api/v1/me/selection", headers={"Accept-Language": "en"}).get_json()
    assert body["explanation"].startswith("You were not determined")
    email = published.by_status["cadangan"][0]
    body = log_in(app, email).get("/api/v1/me/selection", headers={"Accept-Language": "en"}).get_json()
    assert "reserve" in body["explanation"] and "age, then" in body["explanation"]


def test_anonymous_is_refused(app, published):
    assert app.test_client().get("/api/v1/me/selection").status_code == 401


def test_gate_and_own_page_show_only_the_own_determination(app, published):
    email = published.by_status["tidak_memenuhi_syarat"][0]
    other = published.by_status["ditetapkan"][0]
    client = log_in(app, email)
    gate = client.get("/sertifikasi/")
    assert gate.status_code == 403
    text = gate.get_data(as_text=True)
    assert 'data-status="tidak_memenuhi_syarat"' in text and "/sertifikasi/penetapan-saya/" in text
    page = client.get("/sertifikasi/penetapan-saya/").get_data(as_text=True)
    assert 'data-status="tidak_memenuhi_syarat"' in page and "tidak memenuhi syarat berikut" in page
    assert "Anda ditetapkan" not in page and other not in page
    nobody = log_in(app, "guru.lain@guru.sd.belajar.id").get("/sertifikasi/penetapan-saya/").get_data(as_text=True)
    assert 'data-status="none"' in nobody
    assert app.test_client().get("/sertifikasi/penetapan-saya/").status_code == 302


def test_cli_explain_prints_the_same_explanation(app, published, tmp_path):
    email = published.by_status["cadangan"][0]
    nik = next(c["nik"] for c in map(json.loads, (tmp_path / "pool.jsonl").read_text().splitlines())
               if c["email"] == email)
    expected = log_in(app, email).get("/api/v1/me/selection").get_json()["explanation"]
    result = app.test_cli_runner().invoke(args=["selection", "explain", str(published.run_id), nik])
    assert result.exit_code == 0, result.output
    assert "status: cadangan" in result.output and expected in result.output
    missing = app.test_cli_runner().invoke(args=["selection", "explain", str(published.run_id), "1" * 16])
    assert missing.exit_code != 0


def test_publishing_queues_one_notice_per_candidate(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    with app.app_context():
        run = run_selection(RunInputs(policy="pgt2024", pool=write_pool(tmp_path / "pool.jsonl", 120), total=30),
                            now=NOW)
        cohort = cohorts.create_cohort(code="NOTICE-1", name="Angkatan", programme_year=2026,
                                       learning_start=date(2026, 12, 1), learning_end=date(2026, 12, 31))
        db.session.commit()
        job = publish(run, cohort, now=NOW, actor_id=None, allow_placeholder=True)
        assert job.status == "done"
        db.session.commit()
        messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "selection_notice")))
        entries = dict(db.session.execute(select(SelectionEntry.email, SelectionEntry.status)
                                          .where(SelectionEntry.run_id == run.id)).all())
        assert len(messages) == len(entries) == 120
        assert {m.to_email: m.params["status"] for m in messages} == entries
        determined = next(m for m in messages if m.params["status"] == "cadangan")
        assert "cadangan" in determined.params["body"] and f"/pengumuman/{run.id}" in determined.params["body"]
