"""Concurrent journal saves of the same version through the HTTP API (PostgreSQL): exactly one wins."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from lms.extensions import db
from lms.journal.models import JournalEntry
from tests.journal.test_journal import Participant

WRITERS = 10


def race(url: str, headers: dict, bodies: list[dict]) -> list[tuple[int, str, dict]]:
    barrier = threading.Barrier(len(bodies))
    results, lock = [], threading.Lock()

    def put(body: dict) -> None:
        with requests.Session() as http:
            barrier.wait()
            response = http.put(url, json=body, headers=headers, timeout=60)
            payload = response.json()
            with lock:
                results.append((response.status_code, payload.get("code", "ok"), body))

    threads = [threading.Thread(target=put, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def pg_ready(pg_app, pg_learning, pg_live_server, frozen_clock):
    from tests.learning import DURING

    frozen_clock(DURING)
    participant = Participant(pg_app, pg_learning, prompts=2)
    participant.finish_materi()
    participant.take_posttest()
    return participant


@pytest.mark.postgres
@pytest.mark.parametrize("existing", [True, False], ids=["update", "first-save"])
def test_ten_saves_of_the_same_version_give_one_200_and_nine_conflicts(pg_ready, pg_live_server, existing):
    p1, _ = pg_ready.prompt_ids()
    version = pg_ready.put({p1: "awal"}).get_json()["version"] if existing else 0
    url = f"{pg_live_server.url}/api/v1/journals/{pg_ready.module_id()}"
    bodies = [{"answers": {p1: f"tulisan jendela {i}"}, "submit": False, "version": version} for i in range(WRITERS)]

    results = race(url, pg_ready.headers, bodies)

    outcomes = Counter((status, code) for status, code, _ in results)
    assert outcomes == {(200, "ok"): 1, (409, "version_conflict"): WRITERS - 1}, outcomes
    [winner] = [body for status, _, body in results if status == 200]
    saved = pg_ready.get().get_json()
    assert saved["version"] == version + 1
    assert saved["answers"] == winner["answers"]
    with pg_ready.app.app_context():
        assert db.session.scalar(select(func.count(JournalEntry.id))) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("existing", [True, False], ids=["update", "first-save"])
def test_concurrent_unversioned_drafts_of_different_prompts_all_land(pg_ready, pg_live_server, existing):
    """A draft without a version is one upsert that merges in SQL: concurrent saves of different prompts (the
    first save of the entry among them) all answer 200, and the stored draft holds every answer."""
    p1, p2 = pg_ready.prompt_ids()
    start = pg_ready.put({p1: "awal"}).get_json()["version"] if existing else 0
    url = f"{pg_live_server.url}/api/v1/journals/{pg_ready.module_id()}"
    bodies = [{"answers": {p1 if i % 2 else p2: f"tulisan {i}"}, "submit": False} for i in range(4)]

    results = race(url, pg_ready.headers, bodies)

    assert Counter(status for status, _, _ in results) == {200: 4}, results
    saved = pg_ready.get().get_json()
    assert saved["version"] == start + 4 and saved["status"] == "draft"
    assert set(saved["answers"]) == {p1, p2}
    assert saved["answers"][p1] in {f"tulisan {i}" for i in (1, 3)}
    assert saved["answers"][p2] in {f"tulisan {i}" for i in (0, 2)}
    with pg_ready.app.app_context():
        assert db.session.scalar(select(func.count(JournalEntry.id))) == 1


@pytest.mark.postgres
def test_autocommitted_drafts_racing_a_submission_all_land_and_the_submission_takes_one_state(pg_ready, pg_live_server):
    """Plain drafts run in autocommit (one upsert each); a submission keeps its transaction (the entry read, then a
    write conditional on that version, retried when a draft moved it). Two drafts and a submission at once: all
    three answer 200, every save counts in the version, and what was submitted is one state of the entry."""
    from tests.journal.test_journal import LONG, LONG2

    p1, p2 = pg_ready.prompt_ids()
    start = pg_ready.put({p1: LONG, p2: LONG2}).get_json()["version"]
    url = f"{pg_live_server.url}/api/v1/journals/{pg_ready.module_id()}"
    drafts = [f"{LONG} (jendela {i})" for i in range(2)]
    bodies = [{"answers": {p1: text}, "submit": False} for text in drafts] + [{"answers": {}, "submit": True}]

    results = race(url, pg_ready.headers, bodies)

    assert Counter(status for status, _, _ in results) == {200: 3}, results
    with pg_ready.app.app_context():
        entry = db.session.scalar(select(JournalEntry))
        assert entry.version == start + 3 and entry.status == "submitted"
        assert entry.draft_answers[p1] in drafts and entry.draft_answers[p2] == LONG2
        assert entry.submitted_answers[p1] in {LONG, *drafts} and entry.submitted_answers[p2] == LONG2
