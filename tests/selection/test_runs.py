"""Selection runs: priority order and tie-breaks, quotas (largest remainder; kab/kota table), stored runs,
malformed pools, and publishing the determined list as a roster."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.pool_datagen import pool, write_pool
from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core.audit import AuditEvent
from lms.extensions import db
from lms.selection.candidate import parse_candidate
from lms.selection.models import SelectionEntry, SelectionRun
from lms.selection.policy import load_policy
from lms.selection.ranking import allocate_national, sort_key
from lms.selection.runs import RunInputs, SelectionInputError, run_selection

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def base_candidate(**changes):
    record = next(pool(1, seed=3))
    candidate, reasons = parse_candidate(record)
    assert not reasons
    return replace(candidate, **changes)


def write(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_output(path: Path) -> list[dict]:
    """The rows of a run's CSV; the placeholder warning line(s) at the top (``#``) skipped."""
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def run(app, **kwargs):
    with app.app_context():
        result = run_selection(RunInputs(**kwargs), now=NOW)
        return result.id, result.status, dict(result.counts), list(result.errors)


# --- priority keys ---------------------------------------------------------------------------------------------

def test_2024_order_older_first_then_longer_dapodik():
    policy = load_policy("pgt2024")
    older = base_candidate(tanggal_lahir=date(1966, 1, 1), dapodik_sejak=date(2010, 1, 1))
    younger = base_candidate(tanggal_lahir=date(1980, 1, 1), dapodik_sejak=date(2000, 1, 1))
    same_age_longer = base_candidate(tanggal_lahir=date(1966, 1, 1), dapodik_sejak=date(2005, 1, 1))
    ordered = sorted([younger, older, same_age_longer], key=lambda c: sort_key(c, policy))
    assert ordered == [same_age_longer, older, younger]


def test_2016_order_follows_the_priority_list():
    policy = load_policy("sg2016-pf-plpg")
    base = base_candidate(ukg_skor=70.0)
    failed_last_year = replace(base, tidak_lulus_tahun_lalu=True, ukg_skor=40.0)
    high_ukg = replace(base, ukg_skor=90.0)
    curriculum = replace(base, resertifikasi_kurikulum=True)
    supervisor = replace(base, pengawas=True)
    frontier = replace(base, daerah_3t=True)
    keys = {name: sort_key(c, policy) for name, c in [("failed", failed_last_year), ("ukg", high_ukg),
                                                       ("curriculum", curriculum), ("supervisor", supervisor),
                                                       ("frontier", frontier), ("base", base)]}
    assert sorted(keys, key=keys.get) == ["failed", "ukg", "curriculum", "supervisor", "frontier", "base"]
    senior = replace(base, pangkat_golongan="IV/a")
    junior = replace(base, pangkat_golongan="III/a")
    assert sort_key(senior, policy) < sort_key(junior, policy)


# --- quotas ----------------------------------------------------------------------------------------------------

def test_largest_remainder_with_at_least_one_each():
    quotas = allocate_national(10, {"11": 1, "31": 60, "73": 30, "91": 9})
    assert quotas == {"11": 1, "31": 5, "73": 3, "91": 1}
    assert sum(allocate_national(100, {"11": 1, "31": 60, "73": 30, "91": 9}).values()) == 100


def test_quota_never_exceeds_eligible_and_is_redistributed():
    quotas = allocate_national(50, {"11": 2, "31": 100, "73": 3})
    assert quotas["11"] <= 2 and quotas["73"] <= 3 and sum(quotas.values()) == 50


def test_fewer_seats_than_provinces_go_to_the_largest_pools():
    assert allocate_national(2, {"11": 5, "31": 9, "73": 9, "91": 1}) == {"11": 0, "31": 1, "73": 1, "91": 0}
    assert allocate_national(0, {"11": 5}) == {"11": 0}


def test_a_province_with_few_candidates_still_gets_one(app, tmp_path):
    records = list(pool(40, seed=11))
    for r in records:
        r["memenuhi_administrasi_2023"] = True
    papua_code = next(c for c in sorted(load_policy("pgt2024").regions) if c.startswith("91"))
    others = [r for r in records if not r["kode_kabkota"].startswith("9")]
    only_papuan = dict(others[0], kode_kabkota=papua_code, nik=papua_code + others[0]["nik"][4:],
                       email="satu.satunya@guru.sd.belajar.id", tanggal_lahir="1985-01-01")
    only_papuan["nik"] = only_papuan["nik"][:6] + "010185" + only_papuan["nik"][12:]
    path = write(tmp_path / "pool.jsonl", others[1:] + [only_papuan])
    provinces = {r["kode_kabkota"][:2] for r in others[1:]} | {"91"}
    total = len(provinces) + 3  # enough seats for one per province
    run_id, status, counts, errors = run(app, policy="pgt2024", pool=path, total=total)
    assert status == "done" and counts["ditetapkan"] == total, errors
    with app.app_context():
        papuan = db.session.scalar(select(SelectionEntry).where(SelectionEntry.run_id == run_id,
                                                                SelectionEntry.email == only_papuan["email"]))
        # The youngest candidate of the pool, but alone in the province: at least one seat each.
        assert papuan.status == "ditetapkan" and papuan.rank == 1


def test_kabkota_table_with_a_zero_quota(app, tmp_path):
    records = []
    for i, r in enumerate(pool(12, seed=5, policy="sg2016-pf-plpg")):
        r.update(kode_kabkota=("7371" if i % 2 else "3175"), tmt_pengangkatan="2000-01-01",
                 status_kepegawaian="PNS", sertifikat_pengecualian=None)
        r["nik"] = r["kode_kabkota"] + r["nik"][4:]
        records.append(r)
    path = write(tmp_path / "pool.jsonl", records)
    quota = tmp_path / "kuota.csv"
    quota.write_text("kode_kabkota,kuota\n7371,2\n3175,0\n")
    run_id, status, counts, errors = run(app, policy="sg2016-pf-plpg", pool=path, quota=quota)
    assert status == "done", errors
    with app.app_context():
        by_kab = dict(db.session.execute(select(SelectionEntry.kode_kabkota, func.count())
                                         .where(SelectionEntry.run_id == run_id,
                                                SelectionEntry.status == "ditetapkan")
                                         .group_by(SelectionEntry.kode_kabkota)).all())
    assert by_kab == {"7371": 2}


# --- runs -------------------------------------------------------------------------------------------------------

def test_the_same_inputs_give_the_same_run_and_output(app, tmp_path):
    path = write_pool(tmp_path / "pool.jsonl", 300)
    first = run(app, policy="pgt2024", pool=path, total=50)
    again = run(app, policy="pgt2024", pool=path, total=50)
    assert first[0] == again[0] and first[1] == "done"
    other = run(app, policy="pgt2024", pool=path, total=60)
    assert other[0] != first[0]
    with app.app_context():
        hashes = {r.input_hash for r in db.session.scalars(select(SelectionRun))}
    assert len(hashes) == 2


def test_ties_break_by_line_in_the_pool(app, tmp_path):
    records = list(pool(3, seed=2))
    for i, r in enumerate(records):
        r.update(tanggal_lahir="1970-01-01", dapodik_sejak="2000-01-01", kode_kabkota="7371",
                 memenuhi_administrasi_2023=True, nik=f"737101010170{i + 1:04d}")
    path = write(tmp_path / "pool.jsonl", records)
    run_id, *_ = run(app, policy="pgt2024", pool=path, total=2)
    with app.app_context():
        ranked = db.session.execute(select(SelectionEntry.line, SelectionEntry.rank, SelectionEntry.status)
                                    .where(SelectionEntry.run_id == run_id).order_by(SelectionEntry.line)).all()
    assert ranked == [(1, 1, "ditetapkan"), (2, 2, "ditetapkan"), (3, 3, "cadangan")]


def test_malformed_and_duplicate_lines_fail_the_run_and_keep_nothing(app, tmp_path):
    records = list(pool(5, seed=4))
    lines = [json.dumps(r) for r in records] + ["{not json", json.dumps(records[0])]
    path = tmp_path / "pool.jsonl"
    path.write_text("\n".join(lines) + "\n")
    run_id, status, counts, errors = run(app, policy="pgt2024", pool=path, total=2)
    assert status == "failed" and [e["line"] for e in errors] == [6]
    good = tmp_path / "dup.jsonl"
    good.write_text("\n".join(lines[:5] + [lines[6]]) + "\n")
    run_id, status, counts, errors = run(app, policy="pgt2024", pool=good, total=2)
    assert status == "failed" and errors == [{"line": 6, "reasons": ["NIK sama dengan baris 1"]}]
    with app.app_context():
        assert db.session.scalar(select(func.count(SelectionEntry.id))) == 0


def test_missing_quota_inputs_are_refused(app, tmp_path):
    path = write_pool(tmp_path / "pool.jsonl", 3)
    with app.app_context(), pytest.raises(SelectionInputError, match="--total"):
        run_selection(RunInputs(policy="pgt2024", pool=path), now=NOW)
    with app.app_context(), pytest.raises(SelectionInputError, match="--quota"):
        run_selection(RunInputs(policy="sg2016-pf-plpg", pool=path), now=NOW)
    with app.app_context(), pytest.raises(SelectionInputError, match="tidak dikenal"):
        run_selection(RunInputs(policy="pgt2099", pool=path, total=1), now=NOW)


def test_cli_run_writes_the_output_and_the_hash(app, tmp_path):
    path = write_pool(tmp_path / "pool.jsonl", 200)
    out = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["selection", "run", "--policy", "pgt2024", "--pool", str(path),
                                                "--total", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "input_hash=" in result.output and "ditetapkan=40" in result.output
    rows = read_output(out)
    assert list(rows[0]) == ["rank", "nik", "nama", "kode_kabkota", "status", "alasan"]
    assert len(rows) == 200 and sum(r["status"] == "ditetapkan" for r in rows) == 40
    ineligible = [r for r in rows if r["status"] == "tidak_memenuhi_syarat"]
    assert ineligible and all(r["alasan"] and not r["rank"] for r in ineligible)


def test_publishing_makes_the_roster_and_login_works(app, learning, tmp_path):
    cohort_id = learning.cohort(code="PGT-PUB")
    path = write_pool(tmp_path / "pool.jsonl", 60)
    run_id, status, counts, _ = run(app, policy="pgt2024", pool=path, total=10)
    runner = app.test_cli_runner()
    # pgt2024's kab/kota list is a placeholder: refused without the explicit override, and nothing changes.
    refused = runner.invoke(args=["selection", "publish", str(run_id), "--cohort", "PGT-PUB"])
    assert refused.exit_code != 0 and "placeholder" in refused.output and "--allow-placeholder" in refused.output
    with app.app_context():
        assert db.session.scalar(select(func.count(RosterEntry.id))) == 0
        assert db.session.get(SelectionRun, run_id).published_cohort_id is None
    result = runner.invoke(args=["selection", "publish", str(run_id), "--cohort", "PGT-PUB", "--allow-placeholder"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.publish"))
        assert event.data["placeholder_override"] is True
    with app.app_context():
        assert db.session.scalar(select(func.count(RosterEntry.id)).where(RosterEntry.cohort_id == cohort_id)) == 10
        assert db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.cohort_id == cohort_id)) == 10
        email = db.session.scalar(select(SelectionEntry.email).where(SelectionEntry.run_id == run_id,
                                                                     SelectionEntry.status == "ditetapkan").limit(1))
        assert db.session.get(SelectionRun, run_id).published_cohort_id == cohort_id
    me = app.test_client().get("/api/v1/me", headers=learning.headers(email)).get_json()
    assert me["participant"]["cohort"] == "PGT-PUB"
