"""The agents' ticket list (API and queue page) sends the same number of SQL statements for 1 and 20 tickets."""

from __future__ import annotations

from sqlalchemy import insert, select

from bench.datagen import rows
from lms.auth.models import User
from lms.core.nik import encrypt_nik, nik_hash
from lms.extensions import db
from lms.helpdesk.models import Ticket
from tests.helpdesk.helpers import AGENT
from tests.learning import DURING, import_roster, log_in
from tests.queries import counted

ROSTER = [list(r) for r in rows(20)]


def add_tickets(app, start: int, stop: int) -> None:
    """Tickets from distinct reporters, each about a NIK of the roster (so every ticket has roster matches)."""
    with app.app_context():
        emails = [f"pelapor{i:02d}@guru.sd.belajar.id" for i in range(start, stop)]
        db.session.execute(insert(User), [{"email": e, "name": e, "created_at": DURING, "active": True}
                                          for e in emails])
        ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
        db.session.execute(insert(Ticket), [
            {"user_id": ids[email], "category": "akun_tidak_dikenal", "status": "baru", "full_name": f"Guru {i}",
             "nik_hash": nik_hash(ROSTER[i][0]), "nik_encrypted": encrypt_nik(ROSTER[i][0]),
             "belajar_id_account": email, "satuan_pendidikan": "SD Negeri 1", "description": "",
             "screenshot_path": "/nonexistent.png", "screenshot_type": "image/png", "created_at": DURING,
             "updated_at": DURING} for i, email in zip(range(start, stop), emails, strict=True)])
        db.session.commit()


def test_agent_lists_send_a_fixed_number_of_statements(desk, learning):
    app = desk.app
    import_roster(app, learning.cohort(), ROSTER)
    page = log_in(app, AGENT)

    def api_count(expected: int) -> int:
        desk.client.get("/api/v1/tickets?all=1", headers=desk.agent)  # warm: per-process caches filled
        with counted(app) as statements:
            response = desk.client.get("/api/v1/tickets?all=1", headers=desk.agent)
        body = response.get_json()
        assert response.status_code == 200 and body["total"] == expected and len(body["tickets"]) == expected
        assert all(len(t["roster"]) == 1 for t in body["tickets"])
        return len(statements)

    def page_count(expected: int) -> int:
        page.get("/bantuan/antrian")
        with counted(app) as statements:
            response = page.get("/bantuan/antrian")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('data-testid="queue-row"') == expected
        return len(statements)

    add_tickets(app, 0, 1)
    one_api, one_page = api_count(1), page_count(1)
    add_tickets(app, 1, 20)
    assert (api_count(20), page_count(20)) == (one_api, one_page)
    assert one_api <= 8 and one_page <= 8, (one_api, one_page)
