"""Regional progress: a dinas user sees its own kab/kota, an LPMP its province, admins everything; no URL or
parameter reaches another region's data (403), on the /laporan/ pages and the /api/v1/regional/ API alike."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from bench.datagen import nik_for
from tests.learning import import_roster, log_in

ADMIN = "admin.satu@belajar.id"
DINAS = "dinas.makassar@belajar.id"
LPMP = "lpmp.sulsel@belajar.id"
TEACHER = "guru.lain@guru.sd.belajar.id"
#: kab/kota -> (participants, NPSN of their school)
PLACES = {"7371": (4, "40300001"), "7372": (3, "40300002"), "3273": (5, "20200003")}


def cli(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture
def world(app, learning):
    cohort_id = learning.cohort(code="WIL")
    rng, rows, n = random.Random(3), [], 0
    for kode, (count, npsn) in PLACES.items():
        for _ in range(count):
            rows.append([nik_for(kode, n, rng), f"Guru {n}", f"guru{n:02d}.{kode}@guru.sd.belajar.id", npsn,
                         f"SD Negeri {npsn}", kode])
            n += 1
    import_roster(app, cohort_id, rows)
    learning.cohort(code="LAIN", start=date(2026, 12, 1), end=date(2026, 12, 31), year=2027)
    cli(app, "users", "grant", ADMIN, "admin_angkatan")
    cli(app, "selection", "assign-region", DINAS, "7371")
    cli(app, "selection", "assign-province", LPMP, "73")
    return {email: learning.headers(email) for email in (ADMIN, DINAS, LPMP, TEACHER)}


def get(app, headers, url):
    return app.test_client().get(url, headers=headers)


def kabkota_rows(app, headers, url="/api/v1/regional/cohorts/WIL/progress?group=kabkota") -> dict[str, int]:
    answer = get(app, headers, url)
    assert answer.status_code == 200, answer.get_json()
    return {row["key"]: row["participants"] for row in answer.get_json()["rows"]}


def test_each_sees_its_own_region_through_the_api(app, world):
    assert kabkota_rows(app, world[DINAS]) == {"7371": 4}
    assert kabkota_rows(app, world[LPMP]) == {"7371": 4, "7372": 3}
    assert kabkota_rows(app, world[ADMIN]) == {"7371": 4, "7372": 3, "3273": 5}
    assert kabkota_rows(app, world[ADMIN], "/api/v1/regional/cohorts/WIL/progress?group=province") == {"73": 7,
                                                                                                       "32": 5}
    assert kabkota_rows(app, world[LPMP], "/api/v1/regional/cohorts/WIL/progress?group=province") == {"73": 7}
    assert kabkota_rows(app, world[DINAS], "/api/v1/regional/cohorts/WIL/progress?group=school") == {"40300001": 4}
    assert kabkota_rows(app, world[LPMP], "/api/v1/regional/cohorts/WIL/progress?group=kabkota&region=7372") == {
        "7372": 3}
    cohorts = get(app, world[DINAS], "/api/v1/regional/cohorts").get_json()
    assert cohorts["region"] == "7371" and cohorts["scope"] == ["7371"]
    assert [(c["code"], c["participants"]) for c in cohorts["cohorts"]] == [("WIL", 4)]  # LAIN has nobody there
    listed = get(app, world[LPMP], "/api/v1/regional/cohorts/WIL/enrollments?per_page=2").get_json()
    assert listed["total"] == 7 and listed["next"]
    seen = listed["enrollments"] + get(app, world[LPMP], listed["next"]).get_json()["enrollments"]
    assert {e["kode_kabkota"] for e in seen} == {"7371"} and len(seen) == 4  # by e-mail: Makassar's sort first
    school = get(app, world[DINAS], "/api/v1/regional/cohorts/WIL/enrollments?school=20200003").get_json()
    assert school["total"] == 0  # a school of another region: nothing, the region filter stays


@pytest.mark.parametrize(("who", "url", "status"), [
    (DINAS, "/api/v1/regional/cohorts/WIL/progress?region=3273", 403),
    (DINAS, "/api/v1/regional/cohorts/WIL/progress?region=73", 403),  # its province is wider than its kab/kota
    (DINAS, "/api/v1/regional/cohorts/WIL/progress?region=7372", 403),
    (DINAS, "/api/v1/regional/cohorts/WIL/enrollments?region=32", 403),
    (DINAS, "/api/v1/regional/cohorts?region=3273", 403),
    (LPMP, "/api/v1/regional/cohorts/WIL/enrollments?region=3273", 403),
    (LPMP, "/api/v1/regional/cohorts/WIL/progress?group=province&region=32", 403),
    (DINAS, "/api/v1/regional/cohorts/WIL/progress?region=7x", 422),
    (DINAS, "/api/v1/regional/cohorts/NOPE/progress", 404),
    (TEACHER, "/api/v1/regional/cohorts/WIL/progress", 403),
    (TEACHER, "/api/v1/regional/cohorts", 403),
])
def test_no_parameter_reaches_another_region(app, world, who, url, status):
    answer = get(app, world[who], url)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["message"]


def test_a_dinas_tied_to_no_region_reads_nothing(app, learning, world):
    cli(app, "users", "grant", "dinas.baru@belajar.id", "dinas")
    answer = get(app, learning.headers("dinas.baru@belajar.id"), "/api/v1/regional/cohorts")
    assert answer.status_code == 403 and answer.get_json()["code"] == "no_region_scope"
    # An LPMP's province does not make a dinas role read a province, nor the other way round.
    assert get(app, world[LPMP], "/api/v1/regional/cohorts").get_json()["scope"] == ["73"]


def rows_of(body: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}"[^>]*data-kabkota="(\d+)"', body)


def test_pages_show_only_the_own_region(app, world):
    dinas = log_in(app, DINAS)
    index = dinas.get("/laporan/").get_data(as_text=True)
    assert "Kota Makassar" in index and 'data-testid="regional-cohort"' in index and "LAIN" not in index
    report = dinas.get("/laporan/WIL?group=kabkota").get_data(as_text=True)
    assert report.count('data-testid="progress-row"') == 1 and "7371" in report and "3273" not in report
    drill = re.search(r'href="([^"]+)" data-testid="drill-down"', report).group(1).replace("&amp;", "&")
    listed = dinas.get(drill).get_data(as_text=True)
    assert rows_of(listed, "regional-enrollment") == ["7371"] * 4
    lpmp = log_in(app, LPMP)
    province = lpmp.get("/laporan/WIL?group=province").get_data(as_text=True)
    drill = re.search(r'href="([^"]+)" data-testid="drill-down"', province).group(1).replace("&amp;", "&")
    assert sorted(rows_of(lpmp.get(drill).get_data(as_text=True), "regional-enrollment")) == ["7371"] * 4 + [
        "7372"] * 3
    admin = log_in(app, ADMIN)
    assert admin.get("/laporan/WIL?group=kabkota").get_data(as_text=True).count('data-testid="progress-row"') == 3
    csv_text = dinas.get("/laporan/WIL?group=kabkota&format=csv").get_data(as_text=True)
    assert "7371" in csv_text and "3273" not in csv_text


@pytest.mark.parametrize("url", ["/laporan/?wilayah=3273", "/laporan/WIL?wilayah=32", "/laporan/WIL?wilayah=7372",
                                 "/laporan/WIL/peserta?wilayah=3273", "/laporan/WIL/peserta?wilayah=73"])
def test_pages_refuse_another_region(app, world, url):
    assert log_in(app, DINAS).get(url).status_code == 403
    assert log_in(app, TEACHER).get("/laporan/").status_code == 403


def test_lpmp_pages_refuse_another_province(app, world):
    lpmp = log_in(app, LPMP)
    assert lpmp.get("/laporan/WIL/peserta?wilayah=3273").status_code == 403
    assert lpmp.get("/laporan/WIL/peserta?wilayah=7372").status_code == 200
    assert log_in(app, ADMIN).get("/laporan/WIL/peserta?wilayah=3273").status_code == 200
