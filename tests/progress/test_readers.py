"""The readers of the read model: the progress report (any grouping, a region filter) and the at-risk list,
whose pager links continue from the neighbouring page's edge (keyset) and show the same rows as page numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from lms.admin import reports, risk
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.admin.test_views import admin, html  # noqa: F401 - the fixture
from tests.progress.world import World
from tests.queries import counted

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_the_report_reads_the_parts_done_and_filters_by_region(app, learning, during):
    world = World(app, learning, participants=4)
    for materi in (0, 1):
        world.run(("materi", 0, 0, materi))  # 2 of 8 parts: 25 %
    world.run(("materi", 1, 0, 0))  # 1 of 8: 12.5 %
    with app.app_context():
        cohort = db.session.get(Cohort, world.cohort_a)
        [whole] = reports.progress_report(cohort, "cohort")
        assert (whole.participants, whole.average_percent) == (4, 9.4)
        [west_java] = reports.progress_report(cohort, "province")
        assert (west_java.key, west_java.participants) == ("32", 4)
        assert reports.progress_report(cohort, "kabkota", region="3273")[0].participants == 4
        assert reports.progress_report(cohort, "province", region="73") == []
        assert reports.progress_report(cohort, "school", region="32")[0].participants == 4


def test_the_report_by_school_reads_the_copied_school_without_joining_accounts(app, learning, during):
    """Schools come from the NPSN kept on the enrollments and their summary rows (placed by the roster import):
    three grouped statements (counts, parts done, names), none joining the accounts or the roster per
    participant, whatever the number of schools."""
    world = World(app, learning, participants=4)
    for who, npsn in ((0, 2), (1, 2), (2, 1)):
        world.run(("school", who, 0, npsn))
    world.run(("materi", 0, 0, 0))
    with app.app_context():
        cohort = db.session.get(Cohort, world.cohort_a)
        with counted(app) as statements:
            rows = reports.progress_report(cohort, "school")
        assert [(r.key, r.name, r.participants) for r in rows] == [
            ("40300001", "SD Negeri 40300001", 1), ("40300002", "SD Negeri 40300002", 2), ("-", "-", 1)]
        assert rows[1].average_percent == 6.2  # 1 of 8 parts for one of its two participants
    grouped = [s for s in statements if "GROUP BY" in s]
    assert len(grouped) == 3 and not [s for s in grouped if "JOIN users" in s or "users.email" in s], statements


def test_at_risk_pages_by_cursor_are_the_pages_by_number(app, learning, during):
    world = World(app, learning, participants=7)
    with app.app_context():
        cohort = db.session.get(Cohort, world.cohort_a)
        by_number = [risk.at_risk_page(cohort, now=NOW, page=p, per_page=3) for p in (1, 2, 3)]
        ids = [[row["id"] for row in page.rows] for page in by_number]
        assert [len(i) for i in ids] == [3, 3, 1] and {p.total for p in by_number} == {7}
        second = risk.at_risk_page(cohort, now=NOW, page=2, per_page=3, after=ids[0][-1])
        third = risk.at_risk_page(cohort, now=NOW, page=3, per_page=3, after=second.rows[-1]["id"])
        back = risk.at_risk_page(cohort, now=NOW, page=1, per_page=3, before=second.rows[0]["id"])
        assert [[r["id"] for r in p.rows] for p in (back, second, third)] == ids


def test_the_at_risk_pager_links_carry_the_edge(app, admin, learning, frozen_clock):  # noqa: F811
    frozen_clock(NOW)
    world = World(app, learning, participants=52)
    with app.app_context():
        first = risk.at_risk_page(db.session.get(Cohort, world.cohort_a), now=NOW, page=1)
    assert first.total == 52 and len(first.rows) == 50
    page = html(admin.get("/admin/cohorts/UJI-A/berisiko"))
    assert page.count('data-testid="at-risk-row"') == 50 and "Halaman 1 dari 2" in page
    link = f'/admin/cohorts/UJI-A/berisiko?page=2&amp;after={first.rows[-1]["id"]}'
    assert f'href="{link}" rel="next"' in page
    second = html(admin.get(link.replace("&amp;", "&")))
    assert second.count('data-testid="at-risk-row"') == 2 and "Halaman 2 dari 2" in second
    assert first.rows[-1]["email"] not in second
    back = second[:second.index('rel="prev"')]
    back = back[back.rindex('href="') + 6:-2].replace("&amp;", "&")
    assert "before=" in back and html(admin.get(back)).count('data-testid="at-risk-row"') == 50
    assert admin.get("/admin/cohorts/UJI-A/berisiko?page=2&before=x1").status_code == 200
