"""The report by school comes a page of schools at a time, in NPSN order, after a cursor: a cohort spans tens of
thousands of schools. Walking the pages (API ``next``, the pages' links) gives exactly the whole report (what the CSV
export holds), each page with the statements of the first; a bad cursor is refused, never a 500."""

from __future__ import annotations

import random
import re

import pytest

from bench.datagen import nik_for
from lms.admin import reports
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.admin.test_regional import ADMIN, DINAS, cli
from tests.learning import import_roster, log_in
from tests.queries import counted

#: kab/kota -> NPSNs of its schools (two participants each)
SCHOOLS = {"7371": ["40300001", "40300005", "40300009", "40300013"], "3273": ["20200002", "20200006", "20200010"]}
NO_SCHOOL = "guru.tanpa.sekolah@guru.sd.belajar.id"


@pytest.fixture
def world(app, learning, monkeypatch):
    monkeypatch.setattr(reports, "SCHOOLS_PER_PAGE", 3)
    cohort_id = learning.cohort(code="SEK")
    rng, rows, n = random.Random(5), [], 0
    for kode, npsns in SCHOOLS.items():
        for npsn in npsns:
            for _ in range(2):
                rows.append([nik_for(kode, n, rng), f"Guru {n}", f"guru{n:02d}.{kode}@guru.sd.belajar.id", npsn,
                             f"SD Negeri {npsn}", kode])
                n += 1
    import_roster(app, cohort_id, rows)
    learning.participant(NO_SCHOOL, cohort_id=cohort_id, kode_kabkota="7371")
    cli(app, "users", "grant", ADMIN, "admin_angkatan")
    cli(app, "selection", "assign-region", DINAS, "7371")
    return {"cohort_id": cohort_id, ADMIN: learning.headers(ADMIN), DINAS: learning.headers(DINAS)}


def whole(app, cohort_id, region=None) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = reports.progress_report(db.session.get(Cohort, cohort_id), "school", region=region)
        return [(r.key, r.name, r.participants) for r in rows]


def walk_api(app, headers, url) -> list[list[tuple[str, str, int]]]:
    pages = []
    while url:
        answer = app.test_client().get(url, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        pages.append([(r["key"], r["name"], r["participants"]) for r in body["rows"]])
        assert (body["next"] is None) == (body["next_cursor"] is None)
        url = body["next"]
    return pages


def test_api_pages_walk_the_whole_report_in_npsn_order(app, world):
    pages = walk_api(app, world[ADMIN], "/api/v1/cohorts/SEK/progress?group=school")
    assert [len(p) for p in pages] == [3, 3, 2]  # 7 schools, then the participant without a school on the last
    walked = [row for page in pages for row in page]
    assert walked == whole(app, world["cohort_id"])
    assert [key for key, _, _ in walked] == sorted(n for ns in SCHOOLS.values() for n in ns) + ["-"]
    assert walked[0] == ("20200002", "SD Negeri 20200002", 2) and walked[-1] == ("-", "-", 1)
    # The CSV export holds every school at once.
    csv = app.test_client().get("/api/v1/cohorts/SEK/progress?group=school&format=csv", headers=world[ADMIN])
    assert len(csv.get_data(as_text=True).strip().splitlines()) == 1 + 8
    # Other groupings are not paged.
    body = app.test_client().get("/api/v1/cohorts/SEK/progress?group=kabkota", headers=world[ADMIN]).get_json()
    assert len(body["rows"]) == 2 and body["next"] is None


def test_regional_pages_stay_in_the_region(app, world):
    pages = walk_api(app, world[DINAS], "/api/v1/regional/cohorts/SEK/progress?group=school")
    assert [len(p) for p in pages] == [3, 2]
    assert [row for page in pages for row in page] == whole(app, world["cohort_id"], region="7371")
    assert {key for page in pages for key, _, _ in page} == set(SCHOOLS["7371"]) | {"-"}
    other = app.test_client().get("/api/v1/regional/cohorts/SEK/progress?group=school&region=3273",
                                  headers=world[DINAS])
    assert other.status_code == 403


@pytest.mark.parametrize("after", ["%00", "x'--", "a" * 17, "40300001%20", "%E2%80%AE1"])
def test_a_bad_cursor_is_refused(app, world, after):
    answer = app.test_client().get(f"/api/v1/cohorts/SEK/progress?group=school&after={after}", headers=world[ADMIN])
    assert answer.status_code == 422
    assert after == "%00" or "after" in str(answer.get_json())  # a NUL byte is refused before any parameter is read
    admin = log_in(app, ADMIN)
    page = admin.get(f"/admin/cohorts/SEK/progress?group=school&after={after}")
    assert page.status_code in (400, 422)


def test_pages_follow_their_links_with_the_statements_of_the_first(app, world):
    admin = log_in(app, ADMIN)
    url, seen, statements = "/admin/cohorts/SEK/progress?group=school", [], []
    while url:
        with counted(app) as queries:
            page = admin.get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        seen += re.findall(r'<span class="muted">(\d{8}|-)</span>', html)
        statements.append(len(queries))
        following = re.search(r'<a href="([^"]+)" rel="next" data-testid="next-page">', html)
        url = following[1].replace("&amp;", "&") if following else None
        if seen and url:
            assert 'data-testid="first-page"' in html or len(statements) == 1
    assert seen == [key for key, _, _ in whole(app, world["cohort_id"])]
    assert len(statements) == 3
    assert statements[1] == statements[0]  # a later page costs what the first does
    assert statements[2] == statements[0] + 2  # the last adds the participants without a school (two statements)
