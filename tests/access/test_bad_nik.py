"""No input is a 500 in Cek NIK: digits that are not ASCII (``str.isdigit()`` accepts them), over-long and
non-text NIKs are refused with 422 on the API and the page, and the refused lookup is still logged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.access.models import NikLookup
from lms.extensions import db
from tests.access.test_cek_nik import ASKER, check, html, user_id
from tests.learning import log_in

#: A valid NIK written with other digits: Arabic-Indic, extended Arabic-Indic, full-width; and superscript twos.
VALID = "1101254908900001"
NON_ASCII_NIKS = ["²" * 16] + ["".join(chr(zero + int(c)) for c in VALID) for zero in (0x0660, 0x06F0, 0xFF10)]


def results(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(NikLookup.result).where(NikLookup.user_id == user_id(app, ASKER))))


@pytest.mark.parametrize("nik", NON_ASCII_NIKS)
def test_non_ascii_digits_are_an_invalid_nik_on_the_api(app, client, learning, during, nik):
    assert nik.isdigit() and len(nik) == 16
    response = check(client, learning.headers(ASKER), nik)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert "nik" in response.get_json()["errors"]
    assert results(app) == ["invalid"]  # logged, although refused


@pytest.mark.parametrize("nik", NON_ASCII_NIKS)
def test_non_ascii_digits_are_an_invalid_nik_on_the_page(app, learning, during, nik):
    app.config["WTF_CSRF_ENABLED"] = False
    response = log_in(app, ASKER).post("/sertifikasi/cek-nik/", data={"nik": nik})
    assert response.status_code == 422 and 'data-testid="nik-error"' in html(response)
    assert results(app) == ["invalid"]


@pytest.mark.parametrize("body", [{"nik": "1" * 65}, {"nik": 1101254908900001}, {"nik": None}, {"nik": ["1"]}, {},
                                  {"nik": "1101254908900001", "extra": 1}])
def test_a_nik_that_is_no_string_or_too_long_is_422_on_the_api(app, client, learning, during, body):
    response = client.post("/api/v1/nik-check", json=body, headers=learning.headers(ASKER))
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    assert set(response.get_json()["errors"]) <= {"nik", "extra"}


def test_a_very_long_nik_on_the_page_is_422(app, learning, during):
    app.config["WTF_CSRF_ENABLED"] = False
    response = log_in(app, ASKER).post("/sertifikasi/cek-nik/", data={"nik": "9" * 100_000})
    assert response.status_code == 422 and 'data-testid="nik-error"' in html(response)
    assert "9" * 65 not in html(response)
    assert results(app) == ["invalid"]
