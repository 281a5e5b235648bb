"""Admin tools: drill-down from the progress report to a participant, bulk extensions (all or nothing, every row
audited), and the audit-log viewer."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.cohorts.models import Enrollment, Extension
from lms.core.audit import AuditEvent
from lms.extensions import db
from tests.admin.test_views import admin, html  # noqa: F401 - the fixture

TEACHERS = ["guru.satu@guru.sd.belajar.id", "guru.dua@guru.sd.belajar.id", "guru.tiga@guru.sd.belajar.id"]


def test_from_the_progress_report_to_one_participant(app, admin, learning):  # noqa: F811
    cohort = learning.cohort()
    makassar = learning.participant(TEACHERS[0], cohort_id=cohort, kode_kabkota="7371")
    learning.participant(TEACHERS[1], cohort_id=cohort, kode_kabkota="3171")
    report = html(admin.get("/admin/cohorts/UJI-1/progress?group=kabkota"))
    assert 'href="/admin/cohorts/UJI-1?wilayah=7371"' in report
    listed = html(admin.get("/admin/cohorts/UJI-1?wilayah=7371"))
    assert TEACHERS[0] in listed and TEACHERS[1] not in listed
    link = f"/admin/cohorts/UJI-1/peserta/{makassar}"
    assert link in listed
    page = html(admin.get(link))
    assert 'data-testid="participant-module"' in page and 'data-testid="participant-percent">0%' in page
    assert admin.get("/admin/cohorts/UJI-1/peserta/999999").status_code == 404


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Extension.id))),
                db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrollment.extend")),
                db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.extended_until.is_not(None))))


def test_bulk_extension_is_all_or_nothing_and_audits_every_row(app, admin, learning):  # noqa: F811
    cohort = learning.cohort()
    for email in TEACHERS:
        learning.participant(email, cohort_id=cohort)
    url = "/admin/cohorts/UJI-1/perpanjangan-massal"
    assert 'data-testid="bulk-emails"' in html(admin.get(url))
    form = {"emails": "\n".join(TEACHERS[:2]) + "\nbukan.peserta@guru.sd.belajar.id", "until": "2026-12-10",
            "reason": "Banjir di wilayah", "confirm": "yes"}
    refused = admin.post(url, data=form, follow_redirects=True)
    assert [r.status_code for r in refused.history] == [303]  # POST-redirect-GET, what was sent kept
    assert "bukan.peserta@guru.sd.belajar.id" in html(refused) and "Banjir di wilayah" in html(refused)
    assert counts(app) == (0, 0, 0)
    unconfirmed = admin.post(url, data={**form, "emails": "\n".join(TEACHERS), "confirm": ""})
    assert unconfirmed.status_code == 303 and counts(app) == (0, 0, 0)

    done = admin.post(url, data={**form, "emails": f"email\n{TEACHERS[0]}\n{TEACHERS[1].upper()};{TEACHERS[2]}"})
    assert done.status_code == 302
    assert counts(app) == (3, 3, 3)
    assert "diperpanjang" in html(admin.get(done.headers["Location"]))

    # The audit viewer finds them, filtered by action and by subject.
    viewer = html(admin.get("/admin/audit?action=enrollment.extend"))
    assert viewer.count('data-testid="audit-row"') == 3
    with app.app_context():
        one = db.session.scalar(select(Enrollment.id).order_by(Enrollment.id))
    assert html(admin.get(f"/admin/audit?subject=enrollment:{one}")).count('data-testid="audit-row"') == 1
    assert html(admin.get("/admin/audit?since=2030-01-01")).count('data-testid="audit-row"') == 0
    assert admin.get("/admin/audit?since=kemarin&page=x").status_code == 200


def test_from_a_school_row_to_its_participants(app, admin, learning):  # noqa: F811
    from bench.datagen import rows
    from tests.learning import import_roster

    cohort = learning.cohort()
    data = [list(row) for row in rows(2)]
    data[0][2], data[1][2] = TEACHERS[0], TEACHERS[1]
    import_roster(app, cohort, data)
    for email, row in zip(TEACHERS[:2], data, strict=True):
        learning.participant(email, cohort_id=cohort, kode_kabkota=row[5])
    report = html(admin.get("/admin/cohorts/UJI-1/progress?group=school"))
    link = f'href="/admin/cohorts/UJI-1?sekolah={data[0][3]}"'
    assert link in report
    listed = html(admin.get(f"/admin/cohorts/UJI-1?sekolah={data[0][3]}"))
    assert TEACHERS[0] in listed and TEACHERS[1] not in listed and 'data-testid="school-filter"' in listed
    assert TEACHERS[1] in html(admin.get(f"/admin/cohorts/UJI-1?sekolah={data[1][3]}"))
    assert TEACHERS[0] not in html(admin.get("/admin/cohorts/UJI-1?sekolah=99999999"))


def test_cohort_page_charts_progress_by_province(app, admin, learning):  # noqa: F811
    cohort = learning.cohort()
    learning.participant(TEACHERS[0], cohort_id=cohort, kode_kabkota="7371")
    learning.participant(TEACHERS[1], cohort_id=cohort, kode_kabkota="3171")
    page = html(admin.get("/admin/cohorts/UJI-1"))
    chart = page[page.index('data-testid="province-chart"'):page.index("</figure>")]
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in chart and "<script" not in chart
    assert chart.count('data-testid="chart-bar"') == 2 and "<title id=\"chart-title\">" in chart
    assert "DKI Jakarta: 0.0%" in chart and "Sulawesi Selatan: 0.0%" in chart  # the numbers, also as a table
    assert 'data-testid="province-chart-table"' in chart
