"""The public announcement of a published run: facts, the determined list with only the listed fields (no full
NIK, e-mail or birth date), filters and paging, the placeholder notice, nothing for an unpublished run."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionRun
from tests.selection.test_determination import published  # noqa: F401 (fixture)
from tests.selection.test_removal import NOW


def _pool(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "pool.jsonl").read_text().splitlines() if line.strip()]


def test_announcement_shows_facts_and_no_personal_data_beyond_the_fields(app, published, tmp_path):  # noqa: F811
    client = app.test_client()  # public: no login
    response = client.get(f"/pengumuman/{published.run_id}?page=1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with app.app_context():
        run = db.session.get(SelectionRun, published.run_id)
        assert run.input_hash in page
    assert 'data-testid="placeholder-policy"' in page  # pgt2024's region list is a placeholder
    assert "PPG bagi Guru Tertentu 2024" in page and "pgt2024.yaml" in page
    assert page.count('data-testid="announcement-line"') == min(50, sum(published.quotas.values()))
    for candidate in _pool(tmp_path):
        assert candidate["nik"] not in page
        assert candidate["email"] not in page
        assert candidate["tanggal_lahir"] not in page
    assert re.search(r"\*{12}\d{4}", page)


def test_filter_by_province_and_bad_filters(app, published):  # noqa: F811
    client = app.test_client()
    group = published.by_status["ditetapkan"][2]
    filtered = client.get(f"/pengumuman/{published.run_id}?provinsi={group}").get_data(as_text=True)
    assert filtered.count('data-testid="announcement-line"') == published.quotas[group]
    assert client.get(f"/pengumuman/{published.run_id}?provinsi=99").status_code == 422
    assert client.get(f"/pengumuman/{published.run_id}?kabkota=abcd").status_code == 422
    assert client.get(f"/pengumuman/{published.run_id}?page=x").status_code == 422


def test_an_unpublished_run_has_no_announcement(app, published):  # noqa: F811
    with app.app_context():
        db.session.get(SelectionRun, published.run_id).published_at = None
        db.session.commit()
    assert app.test_client().get(f"/pengumuman/{published.run_id}").status_code == 404
    assert app.test_client().get("/pengumuman/999999").status_code == 404


def test_a_later_removal_and_promotion_show_with_reason_and_date(app, published):  # noqa: F811
    with app.app_context():
        removed = db.session.scalar(select(SelectionEntry).where(SelectionEntry.run_id == published.run_id,
                                                                 SelectionEntry.status == "ditetapkan").limit(1))
        promoted = db.session.scalar(select(SelectionEntry).where(SelectionEntry.run_id == published.run_id,
                                                                  SelectionEntry.status == "cadangan").limit(1))
        removed.status, promoted.status = "dihapus", "ditetapkan"
        db.session.add(RemovalProposal(entry_id=removed.id, reason="pensiun", status="disetujui", proposed_at=NOW,
                                       decided_at=NOW + timedelta(days=1), promoted_entry_id=promoted.id))
        names = removed.nama, promoted.nama
        db.session.commit()
    page = app.test_client().get(f"/pengumuman/{published.run_id}").get_data(as_text=True)
    change = page[page.index('data-testid="change"'):]
    assert names[0] in change and "Pensiun" in change and names[1] in change and "2026" in change
