"""The plain draft autosave runs in autocommit on PostgreSQL (one statement writes, nothing else does); a submission,
a keyed request and SQLite's two-statement draft keep the request's transaction."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.progress.models import ProgressSummary
from tests.journal.test_journal import LONG, LONG2
from tests.learning import DURING
from tests.queries import in_transaction


@contextmanager
def statements_seen(app):
    """(in a transaction block, statement) of every statement sent while the block runs."""
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append((in_transaction(conn.connection.dbapi_connection), statement.split()[0].upper()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", record)


def _postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_plain_draft_runs_in_autocommit_on_postgresql(app, ready):
    p1, p2 = ready.prompt_ids()
    assert ready.put({p1: LONG}).status_code == 200
    with statements_seen(app) as seen:
        response = ready.put({p2: LONG2})
    assert response.status_code == 200 and response.get_json()["answers"] == {p1: LONG, p2: LONG2}
    if _postgres(app):
        # No BEGIN, no COMMIT: the identity's SELECT and the draft's one statement (its write and the read model's
        # activity), each committed by itself. Any second write would make the request non-atomic.
        assert [in_tx for in_tx, _ in seen] == [False, False], seen
        assert [kind for _, kind in seen][-1] == "WITH", seen
    else:
        # SQLite: the read model's UPDATE is a statement of its own, so the request keeps its transaction.
        assert all(in_tx for in_tx, kind in seen if kind in ("INSERT", "UPDATE")), seen
    with app.app_context():
        assert db.session.scalar(select(ProgressSummary.last_activity_at)) == DURING


@pytest.mark.parametrize("extra", [{"submit": True}, {"headers": {"Idempotency-Key": "kunci-1"}}],
                         ids=["submission", "idempotency-key"])
def test_a_submission_or_a_keyed_save_keeps_its_transaction(app, ready, extra):
    p1, p2 = ready.prompt_ids()
    headers = {**ready.headers, **extra.get("headers", {})}
    body = {"answers": {p1: LONG, p2: LONG2}, "submit": extra.get("submit", False)}
    with statements_seen(app) as seen:
        response = ready.client.put(f"/api/v1/journals/{ready.module_id()}", headers=headers, json=body)
    assert response.status_code == 200, response.get_json()
    writes = [in_tx for in_tx, kind in seen if kind in ("INSERT", "UPDATE", "DELETE", "WITH")]
    assert writes and all(writes), seen


def test_a_refused_draft_in_autocommit_writes_nothing(app, ready):
    """The refusals of the autocommitted path come from a write that matched no row (a stale version) or before
    any write (an unknown prompt): the entry is as it was."""
    p1, _ = ready.prompt_ids()
    saved = ready.put({p1: LONG}).get_json()
    assert ready.put({p1: "basi"}, version=saved["version"] - 1).status_code == 409
    assert ready.put({"999999": "asing"}).status_code == 422
    with app.app_context():
        entry = db.session.scalar(select(JournalEntry))
        assert (entry.version, entry.draft_answers) == (saved["version"], {p1: LONG})


def test_the_autosave_check_reads_the_body_without_changing_what_is_refused_first(app, ready):
    """Whether a request is a plain autosave is decided from its body before the view runs; a body that cannot be
    read is still refused by the view in its turn: who is asking first (401), then the body (413, 422)."""
    url = f"/api/v1/journals/{ready.module_id()}"
    app.config["MAX_CONTENT_LENGTH"] = 1024
    too_large = b'{"answers": {"1": "' + b"1" * 2000 + b'"}}'
    for data, status in ((too_large, 413), (b'{"answers": {"1": "a\\u0000b"}}', 422), (b"{bukan json", 422),
                         (b"[1, 2]", 422)):
        anonymous = ready.client.put(url, data=data, content_type="application/json")
        assert anonymous.status_code == 401, (data[:20], anonymous.get_json())
        refused = ready.client.put(url, data=data, content_type="application/json", headers=ready.headers)
        assert refused.status_code == status, (data[:20], refused.get_json())
    assert ready.entries() == 0
