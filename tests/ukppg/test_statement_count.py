"""The exam rush's request sends a fixed, small number of statements: registering is the hottest write of a phase."""

from __future__ import annotations

from tests.queries import counted
from tests.ukppg.test_registration import GURU, post, ready  # noqa: F401 - the fixture

#: token, enrollment (with any active registration), the seat (RETURNING the session and its site), the
#: registration, the audit row, its number.
REGISTER_STATEMENTS = 6


def test_registering_sends_a_fixed_number_of_statements(app, ready):  # noqa: F811
    ready["client"].get("/api/v1/me", headers=ready["headers"])  # the token's first use is recorded here
    with counted(app) as statements:
        response = post(ready, ready["sessions"][1])
    assert response.status_code == 201, response.get_json()
    assert len(statements) <= REGISTER_STATEMENTS, statements
    assert not [s for s in statements if "SAVEPOINT" in s or s.startswith("SELECT ukppg_registrations")], statements
