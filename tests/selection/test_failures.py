"""A run that breaks on an unexpected error, wherever it happens, ends ``failed`` with its reason kept and
shown, and leaves nothing that could be read as a result or published."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bench.pool_datagen import write_pool
from lms.auth import services as auth_services
from lms.cohorts import services as cohorts
from lms.extensions import db
from lms.selection import runs
from lms.selection.models import SelectionEntry, SelectionQuota, SelectionRun
from lms.selection.runs import RunInputs, run_selection
from tests.selection.test_removal import ADMIN, ALLOWED, NOW
from tests.selection.test_views import html, log_in

BOOM = "disk penuh saat menulis"


def fail_in(monkeypatch, phase: str) -> None:
    """Make one phase of the pipeline raise, after it has done (and committed) part of its work."""
    if phase == "pool":
        monkeypatch.setattr(runs, "BATCH_SIZE", 25)  # some batches are committed before the failure
        real, calls = runs.sort_key, []

        def sort_key(*args, **kwargs):
            calls.append(1)
            if len(calls) > 60:
                raise OSError(BOOM)
            return real(*args, **kwargs)

        monkeypatch.setattr(runs, "sort_key", sort_key)
    elif phase == "allocation":
        real_allocate = runs._allocate

        def allocate(*args, **kwargs):
            real_allocate(*args, **kwargs)  # the quotas are committed
            raise RuntimeError(BOOM)

        monkeypatch.setattr(runs, "_allocate", allocate)
    else:
        real_rank = runs._rank

        def rank(*args, **kwargs):
            real_rank(*args, **kwargs)  # every entry ranked and committed
            raise RuntimeError(BOOM)

        monkeypatch.setattr(runs, "_rank", rank)


def rows_of(run_id: int) -> tuple[int, int]:
    entries = db.session.scalar(select(func.count()).select_from(SelectionEntry).where(SelectionEntry.run_id == run_id))
    quotas = db.session.scalar(select(func.count()).select_from(SelectionQuota).where(SelectionQuota.run_id == run_id))
    return entries, quotas


@pytest.mark.parametrize("phase", ["pool", "allocation", "ranking"])
def test_a_failure_anywhere_marks_the_run_failed_with_its_reason_and_keeps_nothing(app, tmp_path, monkeypatch,
                                                                                  frozen_clock, phase):
    frozen_clock(NOW)
    pool = write_pool(tmp_path / "pool.jsonl", 200)
    fail_in(monkeypatch, phase)
    with app.app_context():
        run = run_selection(RunInputs(policy="pgt2024", pool=pool, total=40), now=NOW)
        run_id = run.id
        assert run.status == "failed" and BOOM in run.failure_reason
        db.session.remove()
        stored = db.session.get(SelectionRun, run_id)
        assert (stored.status, stored.counts) == ("failed", {}) and BOOM in stored.failure_reason
        assert rows_of(run_id) == (0, 0)
    monkeypatch.undo()
    # The same inputs run again, and work: a failed run is not reused.
    with app.app_context():
        again = run_selection(RunInputs(policy="pgt2024", pool=pool, total=40), now=NOW)
        assert again.id != run_id and again.status == "done"


def test_the_failure_is_shown_on_the_page_and_in_the_api_and_never_published(app, tmp_path, monkeypatch,
                                                                            frozen_clock):
    frozen_clock(NOW)
    app.config["WTF_CSRF_ENABLED"] = False
    pool = write_pool(tmp_path / "pool.jsonl", 100)
    fail_in(monkeypatch, "ranking")
    with app.app_context():
        run_id = run_selection(RunInputs(policy="pgt2024", pool=pool, total=10), now=NOW).id
        admin = auth_services.get_or_create_account(ADMIN, now=NOW, allowed_domains=ALLOWED)
        auth_services.grant_role(admin, "admin_angkatan", now=NOW)
        _row, token = auth_services.create_token(admin, days=30, now=NOW)
        cohorts.create_cohort(code="GAGAL-1", name="Angkatan", programme_year=2026,
                              learning_start=date(2026, 12, 1), learning_end=date(2026, 12, 31))
        db.session.commit()
    page = html(log_in(app, ADMIN).get(f"/penetapan/{run_id}"))
    assert 'data-testid="failure-reason"' in page and BOOM in page and 'data-testid="entry"' not in page
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/selection/runs/{run_id}", headers=auth).get_json()
    assert body["status"] == "failed" and BOOM in body["failure_reason"]
    assert client.get(f"/api/v1/selection/runs/{run_id}/entries", headers=auth).get_json()["total"] == 0
    refused = client.post(f"/api/v1/selection/runs/{run_id}/publication", headers=auth,
                          json={"cohort": "GAGAL-1", "allow_placeholder": True})
    assert refused.status_code == 422 and refused.get_json()["code"] == "invalid"
    cli = app.test_cli_runner().invoke(args=["selection", "publish", str(run_id), "--cohort", "GAGAL-1",
                                             "--allow-placeholder"])
    assert cli.exit_code != 0


def test_the_cli_exits_non_zero_with_the_reason(app, tmp_path, monkeypatch):
    pool = write_pool(tmp_path / "pool.jsonl", 100)
    fail_in(monkeypatch, "pool")
    out = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["selection", "run", "--policy", "pgt2024", "--pool", str(pool),
                                                "--total", "10", "--out", str(out)])
    assert result.exit_code != 0
    assert "failed" in result.output and BOOM in result.output and "nothing was determined" in result.output
    assert not out.exists()
    with app.app_context():
        assert db.session.scalar(select(SelectionRun.status)) == "failed"
