"""Stored pools: a pool imported once (``lms selection import``) is run by its id under several policies and
quotas, from the CLI (``--pool-id``) and from the penetapan page's run form."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.pool_datagen import write_pool
from lms.core.audit import AuditEvent
from lms.extensions import db
from lms.selection.models import SelectionPool, SelectionRun
from tests.selection.test_removal import ADMIN, NOW
from tests.selection.test_runs import read_output
from tests.selection.test_views import html, log_in, world  # noqa: F401 - the fixture


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["selection", *args])


def test_import_once_then_run_several_quotas_on_the_stored_pool(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    source = write_pool(tmp_path / "calon.jsonl", 120)
    imported = cli(app, "import", str(source))
    assert imported.exit_code == 0, imported.output
    assert "pool 1 imported: calon.jsonl, 120 candidate(s)" in imported.output
    again = cli(app, "import", str(source))
    assert again.exit_code == 0 and "pool 1 imported" in again.output  # same content, same pool
    source.unlink()  # the stored copy is what runs read
    listed = cli(app, "pools")
    assert listed.output.startswith("1\t120\tcalon.jsonl\t")
    outputs = {}
    for total in (10, 30):
        out = tmp_path / f"hasil-{total}.csv"
        ran = cli(app, "run", "--policy", "pgt2024", "--pool-id", "1", "--total", str(total), "--out", str(out))
        assert ran.exit_code == 0, ran.output
        outputs[total] = read_output(out)
    assert sum(r["status"] == "ditetapkan" for r in outputs[10]) == 10
    assert sum(r["status"] == "ditetapkan" for r in outputs[30]) == 30
    with app.app_context():
        runs = list(db.session.scalars(select(SelectionRun).order_by(SelectionRun.id)))
        assert [(r.status, r.params["pool_id"], r.params["pool"], r.params["total"]) for r in runs] == [
            ("done", 1, "calon.jsonl", 10), ("done", 1, "calon.jsonl", 30)]
        pool = db.session.get(SelectionPool, 1)
        assert (pool.candidates, pool.imported_at) == (120, NOW)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "selection.pool.import")) == 1


def test_run_needs_exactly_one_pool_and_a_known_id(app, tmp_path):
    source = write_pool(tmp_path / "calon.jsonl", 5)
    out = str(tmp_path / "out.csv")
    both = cli(app, "run", "--policy", "pgt2024", "--pool", str(source), "--pool-id", "1", "--total", "2",
               "--out", out)
    assert both.exit_code == 2 and "either --pool FILE or --pool-id ID" in both.output
    neither = cli(app, "run", "--policy", "pgt2024", "--total", "2", "--out", out)
    assert neither.exit_code == 2
    unknown = cli(app, "run", "--policy", "pgt2024", "--pool-id", "7", "--total", "2", "--out", out)
    assert unknown.exit_code == 1 and "tidak ditemukan" in unknown.output
    huge = cli(app, "run", "--policy", "pgt2024", "--pool-id", "2147483648", "--total", "2", "--out", out)
    assert huge.exit_code == 2
    huge_total = cli(app, "run", "--policy", "pgt2024", "--pool", str(source), "--total", "2147483648", "--out", out)
    assert huge_total.exit_code == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SelectionRun)) == 0


def test_a_stored_pool_whose_file_is_gone_is_refused(app, tmp_path):
    source = write_pool(tmp_path / "calon.jsonl", 5)
    assert cli(app, "import", str(source)).exit_code == 0
    with app.app_context():
        digest = db.session.get(SelectionPool, 1).sha256
    with app.app_context():
        Path(app.config["UPLOAD_FOLDER"], "pools", f"{digest}.jsonl").unlink()
    ran = cli(app, "run", "--policy", "pgt2024", "--pool-id", "1", "--total", "2", "--out", str(tmp_path / "o.csv"))
    assert ran.exit_code == 1 and "impor ulang" in ran.output


def test_the_run_form_runs_a_stored_pool(app, world, tmp_path):  # noqa: F811
    source = write_pool(tmp_path / "tersimpan.jsonl", 80, seed=5)
    assert cli(app, "import", str(source)).exit_code == 0
    with app.app_context():
        pool_id = db.session.scalar(select(SelectionPool.id))
        before = db.session.scalar(select(func.max(SelectionRun.id)))
    client = log_in(app, ADMIN)
    index = html(client.get("/penetapan/"))
    assert 'data-testid="pool-id"' in index and "tersimpan.jsonl" in index
    response = client.post("/penetapan/jalankan", data={"policy": "pgt2024", "total": "7", "pool_id": str(pool_id)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        run = db.session.scalar(select(SelectionRun).where(SelectionRun.id > before))
        assert run.status == "done" and run.params["pool_id"] == pool_id and run.params["pool"] == "tersimpan.jsonl"
        assert run.counts["ditetapkan"] == 7


@pytest.mark.parametrize("pool_id", ["abc", "2147483648", "999", "²"])
def test_the_run_form_refuses_an_unknown_stored_pool(app, world, pool_id):  # noqa: F811
    client = log_in(app, ADMIN)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(SelectionRun))
    response = client.post("/penetapan/jalankan", data={"policy": "pgt2024", "total": "7", "pool_id": pool_id},
                           content_type="multipart/form-data", follow_redirects=True)
    assert [r.status_code for r in response.history] == [303] and 'data-testid="error-pool_id"' in html(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SelectionRun)) == before


def test_the_run_form_takes_a_stored_pool_or_an_upload_not_both(app, world, tmp_path):  # noqa: F811
    source = write_pool(tmp_path / "tersimpan.jsonl", 10)
    assert cli(app, "import", str(source)).exit_code == 0
    response = log_in(app, ADMIN).post("/penetapan/jalankan", data={
        "policy": "pgt2024", "total": "3", "pool_id": "1", "pool": (io.BytesIO(source.read_bytes()), "p.jsonl")},
        content_type="multipart/form-data", follow_redirects=True)
    assert [r.status_code for r in response.history] == [303] and 'data-testid="error-pool"' in html(response)
