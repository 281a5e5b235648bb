"""Removal proposals and decisions under real concurrency (PostgreSQL, concurrent HTTP requests): one decision
wins, one open proposal per candidate, and a quota group never holds more ``ditetapkan`` than its quota."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db
from lms.selection import removal
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionQuota
from tests.selection.test_removal import DINAS, LPMP, NOW, build_world, tokens

pytestmark = pytest.mark.postgres
REQUESTS = 10


def concurrently(calls: list[tuple[str, str, dict, dict]]) -> list[tuple[int, str]]:
    """Send every (method, url, headers, json) at the same moment; (status, code) per request, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, str] | None] = [None] * len(calls)

    def send(index: int, method: str, url: str, headers: dict, body: dict) -> None:
        with requests.Session() as http:
            barrier.wait()
            response = http.request(method, url, headers=headers, json=body, timeout=120)
            results[index] = (response.status_code, response.json().get("code", "") if response.status_code >= 400
                              else "ok")

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def ditetapkan(run_id: int, group: str | None = None) -> int:
    conditions = [SelectionEntry.run_id == run_id, SelectionEntry.status == "ditetapkan"]
    if group:
        conditions.append(SelectionEntry.quota_group == group)
    return db.session.scalar(select(func.count()).select_from(SelectionEntry).where(*conditions))


def quota(run_id: int, group: str) -> int:
    return db.session.scalar(select(SelectionQuota.quota).where(SelectionQuota.run_id == run_id,
                                                                SelectionQuota.quota_group == group))


@pytest.fixture
def served(pg_live_server, tmp_path, frozen_clock):
    frozen_clock(NOW)
    app = pg_live_server.app
    world = build_world(app, tmp_path)
    return pg_live_server, world, tokens(app, world)


def test_ten_concurrent_approvals_of_one_proposal_promote_exactly_one_reserve(served):
    server, world, auth = served
    created = requests.post(f"{server.url}/api/v1/selection/entries/{world.entry_id}/removals",
                            json={"reason": "pensiun", "note": "SK"}, headers=auth[DINAS], timeout=30)
    assert created.status_code == 201, created.text
    url = f"{server.url}/api/v1/selection/removals/{created.json()['id']}/decision"
    results = concurrently([("POST", url, auth[LPMP], {"approve": True})] * REQUESTS)
    outcomes = Counter(results)
    assert outcomes == {(200, "ok"): 1, (409, "proposal_conflict"): REQUESTS - 1}, outcomes
    with server.app.app_context():
        assert ditetapkan(world.run_id) == 150
        assert ditetapkan(world.run_id, world.group) == quota(world.run_id, world.group)
        promoted = db.session.scalars(select(SelectionEntry.id).where(
            SelectionEntry.run_id == world.run_id, SelectionEntry.quota_group == world.group,
            SelectionEntry.status == "ditetapkan", SelectionEntry.id == world.next_cadangan_id)).all()
        assert promoted == [world.next_cadangan_id]
        assert db.session.get(SelectionEntry, world.second_cadangan_id).status == "cadangan"


def test_concurrent_proposals_for_one_entry_give_one_201_and_409_for_the_rest(served):
    server, world, auth = served
    url = f"{server.url}/api/v1/selection/entries/{world.entry_id}/removals"
    results = concurrently([("POST", url, auth[DINAS], {"reason": "pensiun", "note": f"SK {i}"})
                            for i in range(REQUESTS)])
    outcomes = Counter(results)
    assert outcomes == {(201, "ok"): 1, (409, "proposal_exists"): REQUESTS - 1}, outcomes
    with server.app.app_context():
        assert db.session.scalar(select(func.count(RemovalProposal.id))) == 1


def test_two_approvals_in_one_quota_group_promote_two_different_reserves(served):
    server, world, auth = served
    with server.app.app_context():
        second = db.session.scalar(select(SelectionEntry).where(
            SelectionEntry.run_id == world.run_id, SelectionEntry.quota_group == world.group,
            SelectionEntry.status == "ditetapkan", SelectionEntry.id != world.entry_id)
            .order_by(SelectionEntry.rank).limit(1))
        dinas = db.session.get(User, world.users[DINAS])
        removal.assign_region(dinas, second.kode_kabkota)
        proposal_ids = [removal.propose(removal.get_entry(entry_id), "pensiun", "", dinas=dinas, now=NOW).id
                        for entry_id in (world.entry_id, second.id)]
        db.session.commit()
    calls = [("POST", f"{server.url}/api/v1/selection/removals/{pid}/decision", auth[LPMP], {"approve": True})
             for pid in proposal_ids]
    assert concurrently(calls) == [(200, "ok"), (200, "ok")]
    with server.app.app_context():
        promoted = {p.promoted_entry_id for p in db.session.scalars(select(RemovalProposal))}
        assert promoted == {world.next_cadangan_id, world.second_cadangan_id}
        assert ditetapkan(world.run_id, world.group) == quota(world.run_id, world.group)
        assert ditetapkan(world.run_id) == 150
