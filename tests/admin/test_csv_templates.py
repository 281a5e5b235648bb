"""CSV templates to download: the roster's and the exam sites', each the importer's own header and one example row
that the importer accepts."""

from __future__ import annotations

import csv
import io

from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.ukppg import sites
from tests.learning import DURING, log_in

ADMIN = "admin.contoh@belajar.id"


def admin(app):
    app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"])
    return log_in(app, ADMIN)


def rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def test_roster_template_is_the_importers_header_and_an_accepted_row(app, learning):
    cohort_id = learning.cohort()
    client = admin(app)
    page = client.get("/admin/cohorts/UJI-1").get_data(as_text=True)
    assert 'data-testid="roster-template"' in page
    response = client.get("/admin/daftar-peserta-contoh.csv")
    header, example = rows(response)
    assert tuple(header) == roster.COLUMNS and len(example) == len(header)
    with app.app_context():
        job = roster.create_import(db.session.get(Cohort, cohort_id), "contoh.csv", now=DURING)
        db.session.commit()
        job = roster.run_import(job, io.BytesIO(response.get_data()), now=DURING)
        assert job.status == "done", roster.errors_of(job, limit=None)


def test_sites_template_is_the_importers_header_and_an_accepted_row(app):
    client = admin(app)
    assert 'data-testid="sites-template"' in client.get("/admin/ukppg/").get_data(as_text=True)
    response = client.get("/admin/ukppg/tuk-contoh.csv")
    header, example = rows(response)
    assert tuple(header) == sites.COLUMNS and len(example) == len(header)
    with app.app_context():
        [row] = sites.parse_sites(sites.decode_sites(response.get_data()))
        assert row["seats"] == 40


def test_teachers_cannot_download_templates(app):
    client = log_in(app, "guru.biasa@guru.sd.belajar.id")
    assert client.get("/admin/daftar-peserta-contoh.csv").status_code == 403
    assert client.get("/admin/ukppg/tuk-contoh.csv").status_code == 403


def test_template_cells_are_spreadsheet_safe():
    from lms.core import csvsafe

    text = csvsafe.template(("a", "b"), {"a": "=1+1", "b": 3})
    assert text == "\ufeffa,b\r\n'=1+1,3\r\n"
