"""Only one's own determination, through the API and the pages, whatever the request says; the gate page's fixed
statement count; and the same status line in the personal notice, on the gate, the dashboard and the own page."""

from __future__ import annotations

from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.core.i18n import LANG_COOKIE
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.selection.models import SelectionEntry, SelectionRun
from lms.selection.publish import publish
from tests.learning import DURING, log_in
from tests.modules.test_query_counts import DASHBOARD_STATEMENTS
from tests.queries import counted, writes
from tests.selection.test_determination import published  # noqa: F401 (fixture)
from tests.selection.test_removal import NOW

#: The gate page for a logged-in account that is not a participant: the session with its user and (none) current
#: enrollment (1), and the account's determination (1: quota and cut-off rank are scalar subqueries).
GATE_STATEMENTS = 2


def _names(run_id: int) -> dict[str, str]:
    return dict(db.session.execute(select(SelectionEntry.email, SelectionEntry.nama)
                                   .where(SelectionEntry.run_id == run_id)).all())


def test_no_request_shows_another_teachers_determination(app, published):  # noqa: F811
    mine_email = published.by_status["tidak_memenuhi_syarat"][0]
    others = {s: v for s, v in published.by_status.items() if s != "tidak_memenuhi_syarat"}
    with app.app_context():
        names = _names(published.run_id)
    client = log_in(app, mine_email)
    for status, (email, rank, group, _alasan) in others.items():
        # Whatever names the other teacher (e-mail, NIK-like, run, id), the answer is the caller's own.
        for query in ({"email": email}, {"user": email}, {"run": published.run_id}, {"nik": "1" * 16},
                      {"id": 1}):
            body = client.get("/api/v1/me/selection", query_string=query).get_json()
            assert body["status"] == "tidak_memenuhi_syarat" and body["rank"] is None, (query, body)
            for path in ("/sertifikasi/penetapan-saya/", "/sertifikasi/"):
                page = client.get(path, query_string=query).get_data(as_text=True)
                assert 'data-status="tidak_memenuhi_syarat"' in page
                assert f'data-status="{status}"' not in page
                assert "Peringkat Anda" not in page and "Anda ditetapkan" not in page  # the own one has no rank
                section = page[page.index('data-testid="my-selection"'):page.index("</section>",
                                                                                   page.index('data-testid="my-selection"'))]
                assert email not in section and names[email] not in section
        # The other teacher sees their own, never the first one's.
        theirs = log_in(app, email)
        assert theirs.get("/api/v1/me/selection").get_json()["status"] == status
        page = theirs.get("/sertifikasi/penetapan-saya/").get_data(as_text=True)
        assert "tidak memenuhi syarat berikut" not in page and mine_email not in page
    assert app.test_client().get("/api/v1/me/selection", query_string={"email": mine_email}).status_code == 401
    anonymous = app.test_client().get("/sertifikasi/penetapan-saya/", query_string={"email": mine_email})
    assert anonymous.status_code == 302 and "/auth/" in anonymous.headers["Location"]


def test_gate_page_statement_count_is_fixed_and_reads_only(app, published):  # noqa: F811
    for email in (published.by_status["cadangan"][0], "guru.lain@guru.sd.belajar.id"):
        client = log_in(app, email)
        client.get("/sertifikasi/")  # warm: anything cached per process is loaded here
        with counted(app) as statements:
            response = client.get("/sertifikasi/")
        assert response.status_code == 403 and 'data-testid="gate"' in response.get_data(as_text=True)
        assert len(statements) == GATE_STATEMENTS, statements
        assert writes(statements) == [], statements


def test_notice_gate_dashboard_and_own_page_say_the_same(app, tmp_path, learning, frozen_clock):
    from bench.pool_datagen import write_pool
    from lms.selection.runs import RunInputs, run_selection

    frozen_clock(NOW)
    cohort_id = learning.cohort(code="SAMA-1")
    with app.app_context():
        run = run_selection(RunInputs(policy="pgt2024", pool=write_pool(tmp_path / "pool.jsonl", 120), total=30),
                            now=NOW)
        job = publish(run, db.session.get(Cohort, cohort_id), now=NOW, actor_id=None, allow_placeholder=True)
        assert job.status == "done"
        db.session.commit()
        subjects = {}
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "selection_notice")):
            subjects.setdefault(m.params["status"], (m.to_email, m.params["subject"]))
        assert db.session.get(SelectionRun, run.id).published_at == NOW
    assert set(subjects) >= {"ditetapkan", "cadangan", "tidak_memenuhi_syarat"}
    frozen_clock(DURING)
    for status, (email, subject) in subjects.items():
        client = log_in(app, email)
        home = client.get("/sertifikasi/")
        assert home.status_code == (200 if status == "ditetapkan" else 403)  # the dashboard, or the gate
        own = client.get("/sertifikasi/penetapan-saya/")
        for page in (home.get_data(as_text=True), own.get_data(as_text=True)):
            assert f'data-testid="my-selection-headline">{subject}<' in page, (status, subject)
        if status == "ditetapkan":  # the dashboard's progress rows bring the status: no statement of its own
            with counted(app) as statements:
                again = client.get("/sertifikasi/").get_data(as_text=True)
            assert f'data-testid="my-selection-headline">{subject}<' in again
            assert len(statements) <= DASHBOARD_STATEMENTS, statements
        client.set_cookie(LANG_COOKIE, "en")
        pages = ["/sertifikasi/penetapan-saya/"] + (["/sertifikasi/"] if status == "ditetapkan" else [])
        for path in pages:
            english = client.get(path).get_data(as_text=True)
            assert subject not in english and 'data-testid="my-selection-headline">' in english  # in English
