"""The dashboard and /api/v1/me/progress issue a fixed number of SQL statements (at most 4),
whatever the number of modules."""

from __future__ import annotations

import pytest

from tests.learning import log_in
from tests.queries import counted

MAX_STATEMENTS = 4


def progressed_participant(app, learning, modules: int) -> str:
    curriculum_id = learning.curriculum(code=f"KUR-{modules}", modules=modules, materi=3, questions=2, prompts=2)
    cohort_id = learning.cohort(code=f"C-{modules}", curriculum_id=curriculum_id)
    learning.participant(cohort_id=cohort_id)
    headers = learning.headers()
    client = app.test_client()
    progress = client.get("/api/v1/me/progress", headers=headers).get_json()
    first = progress["modules"][0]
    for materi in first["materi"]:
        client.post(f"/api/v1/materi/{materi['id']}/complete", headers=headers)
    return progress


@pytest.mark.parametrize("modules", [4, 40])
def test_dashboard_statement_count_is_fixed(app, learning, during, modules):
    progressed_participant(app, learning, modules)
    client = log_in(app, "guru.satu@guru.sd.belajar.id")
    with counted(app) as statements:
        page = client.get("/sertifikasi/")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('data-testid="module-') == modules
    assert len(statements) <= MAX_STATEMENTS, statements


@pytest.mark.parametrize("modules", [4, 40])
def test_progress_api_statement_count_is_fixed(app, learning, during, modules):
    progressed_participant(app, learning, modules)
    client = log_in(app, "guru.satu@guru.sd.belajar.id")
    with counted(app) as statements:
        body = client.get("/api/v1/me/progress").get_json()
    assert len(body["modules"]) == modules and body["modules"][0]["materi"][0]["done"] is True
    assert len(statements) <= MAX_STATEMENTS, statements
