"""Personal notices are queued once per candidate and status: publishing again (to its cohort) tells nobody twice;
a removal approved after publication tells the removed and the promoted candidate at once, and a later publication
does not tell them again; concurrent publications (PostgreSQL, real requests) queue one notice per candidate
between them."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import func, select

from lms.auth.models import User
from lms.cohorts import services as cohorts
from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry, RosterImport
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.selection import removal
from lms.selection.models import SelectionEntry, SelectionRun
from lms.selection.publish import publish
from tests.selection.test_contention import concurrently
from tests.selection.test_removal import ADMIN, DINAS, LPMP, NOW, build_world, tokens


def _cohort(code: str):
    cohort = cohorts.create_cohort(code=code, name=f"Angkatan {code}", programme_year=2026,
                                   learning_start=date(2026, 12, 1), learning_end=date(2026, 12, 31))
    db.session.commit()
    return cohort


def _notices(run_id: int) -> Counter:
    """(e-mail, status) -> how many notices were queued."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "selection_notice"))
    return Counter((m.to_email, m.params["status"]) for m in rows if m.params["run_id"] == run_id)


def _publish(run_id: int, code: str, now) -> None:
    job = publish(db.session.get(SelectionRun, run_id), cohorts.find_cohort(code), now=now, actor_id=None,
                  allow_placeholder=True)
    assert job.status == "done", job.stats
    db.session.commit()


def test_republishing_and_a_later_removal_tell_each_candidate_each_status_once(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    world = build_world(app, tmp_path, n=300, total=60)
    with app.app_context():
        _cohort("PUB-1")
        _publish(world.run_id, "PUB-1", NOW)
        first = _notices(world.run_id)
        candidates = db.session.scalar(select(func.count()).select_from(SelectionEntry)
                                       .where(SelectionEntry.run_id == world.run_id))
        assert len(first) == sum(first.values()) == candidates == 300

        _publish(world.run_id, "PUB-1", NOW + timedelta(hours=1))  # the same publication, twice more
        _publish(world.run_id, "PUB-1", NOW + timedelta(hours=2))
        assert _notices(world.run_id) == first
        run = db.session.get(SelectionRun, world.run_id)
        assert run.published_at == NOW  # the announcement keeps its date; later changes are listed after it

        # A removal approved after publication: the removed and the promoted are told, now and once.
        entry = db.session.get(SelectionEntry, world.entry_id)
        proposal = removal.propose(entry, "pensiun", "SK", dinas=db.session.get(User, world.users[DINAS]),
                                   now=NOW + timedelta(days=1))
        removal.decide(proposal, approve=True, note="", lpmp=db.session.get(User, world.users[LPMP]),
                       now=NOW + timedelta(days=1))
        db.session.commit()
        removed_email = db.session.get(SelectionEntry, world.entry_id).email
        promoted_email = db.session.get(SelectionEntry, world.next_cadangan_id).email
        after = _notices(world.run_id)
        assert after - first == Counter({(removed_email, "dihapus"): 1, (promoted_email, "ditetapkan"): 1})

        _publish(world.run_id, "PUB-1", NOW + timedelta(days=2))  # publishing after the removal tells nobody
        assert _notices(world.run_id) == after
        assert max(_notices(world.run_id).values()) == 1


def test_a_removal_before_publication_tells_nobody_until_it_is_published(app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    world = build_world(app, tmp_path, n=300, total=60)
    with app.app_context():
        _cohort("PUB-3")
        proposal = removal.propose(db.session.get(SelectionEntry, world.entry_id), "pensiun", "SK",
                                   dinas=db.session.get(User, world.users[DINAS]), now=NOW)
        removal.decide(proposal, approve=True, note="", lpmp=db.session.get(User, world.users[LPMP]), now=NOW)
        db.session.commit()
        assert _notices(world.run_id) == Counter()
        _publish(world.run_id, "PUB-3", NOW)
        notices = _notices(world.run_id)
        removed_email = db.session.get(SelectionEntry, world.entry_id).email
        assert notices[(removed_email, "dihapus")] == 1 and not notices[(removed_email, "ditetapkan")]
        assert sum(notices.values()) == 300


@pytest.mark.postgres
def test_concurrent_publications_queue_one_notice_per_candidate(pg_live_server, tmp_path, frozen_clock):
    frozen_clock(NOW)
    app = pg_live_server.app
    world = build_world(app, tmp_path, n=300, total=60)
    auth = tokens(app, world)
    with app.app_context():
        _cohort("PUB-PG")
    url = f"{pg_live_server.url}/api/v1/selection/runs/{world.run_id}/publication"
    results = concurrently([("POST", url, auth[ADMIN], {"cohort": "PUB-PG", "allow_placeholder": True})] * 6)
    # Publications wait for each other: the later ones find the roster imported and answer as a republication does.
    assert results == [(200, "ok")] * 6, results
    with app.app_context():
        notices = _notices(world.run_id)
        assert sum(notices.values()) == len(notices) == 300, Counter(notices.values())
        assert db.session.get(SelectionRun, world.run_id).published_at is not None
        cohort_id = cohorts.find_cohort("PUB-PG").id
        listed = set(db.session.scalars(select(SelectionEntry.email).where(SelectionEntry.run_id == world.run_id,
                                                                           SelectionEntry.status == "ditetapkan")))
        roster = db.session.scalars(select(RosterEntry.email).where(RosterEntry.cohort_id == cohort_id)).all()
        enrolled = db.session.scalars(select(User.email).join(Enrollment, Enrollment.user_id == User.id)
                                      .where(Enrollment.cohort_id == cohort_id)).all()
        assert len(roster) == len(set(roster)) == len(enrolled) == len(set(enrolled)) == len(listed) == 60
        assert set(roster) == set(enrolled) == listed
        imports = db.session.scalars(select(RosterImport.status).where(RosterImport.cohort_id == cohort_id)).all()
        assert imports == ["done"] * 6


@pytest.mark.postgres
def test_publications_racing_a_removal_tell_everyone_their_final_status_once(pg_live_server, tmp_path,
                                                                             frozen_clock):
    frozen_clock(NOW)
    app = pg_live_server.app
    world = build_world(app, tmp_path, n=300, total=60)
    auth = tokens(app, world)
    with app.app_context():
        _cohort("PUB-RACE")
    proposed = requests.post(f"{pg_live_server.url}/api/v1/selection/entries/{world.entry_id}/removals",
                             json={"reason": "pensiun", "note": "SK"}, headers=auth[DINAS], timeout=30)
    assert proposed.status_code == 201, proposed.text
    publication = ("POST", f"{pg_live_server.url}/api/v1/selection/runs/{world.run_id}/publication", auth[ADMIN],
                   {"cohort": "PUB-RACE", "allow_placeholder": True})
    decision = ("POST", f"{pg_live_server.url}/api/v1/selection/removals/{proposed.json()['id']}/decision",
                auth[LPMP], {"approve": True})
    results = concurrently([publication, decision, publication, publication])
    publications = [results[0], *results[2:]]
    # No deadlock, no 500, no refusal: the decision lands and every publication does (they wait for each other).
    assert results[1] == (200, "ok") and publications == [(200, "ok")] * 3, results
    with app.app_context():
        notices = _notices(world.run_id)
        final = dict(db.session.execute(select(SelectionEntry.email, SelectionEntry.status)
                                        .where(SelectionEntry.run_id == world.run_id)).all())
        assert max(notices.values()) == 1
        assert all(notices[(email, status)] == 1 for email, status in final.items())
        assert final[db.session.get(SelectionEntry, world.entry_id).email] == "dihapus"
        assert len(notices) - len(final) in (0, 2)  # the two changed ones told twice only if published before
