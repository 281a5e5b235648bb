"""Anonymous Cek NIK requests are refused with 401 before any rate limit counts them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.access.models import NikLookup
from lms.extensions import db
from tests.access.test_cek_nik import UNREGISTERED_NIK, check, unique_address, unique_email
from tests.learning import log_in


@pytest.fixture
def tight(app):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "3/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "3/hour"
    return app


def test_anonymous_api_calls_do_not_spend_the_address_budget(tight, client, learning):
    address = unique_address()
    for headers in ({}, {"Authorization": "Bearer lms_not-a-real-token"}, {"Authorization": "Basic abc"}):
        for _ in range(10):
            response = check(client, headers, UNREGISTERED_NIK, address)
            assert response.status_code == 401, response.get_data(as_text=True)
            assert response.get_json()["code"] in ("unauthenticated", "invalid_token")
    # A signed-in teacher behind the same address still has the whole budget (3), then the limit holds.
    teacher = learning.headers(unique_email("sesudah.anonim"))
    assert [check(client, teacher, UNREGISTERED_NIK, address).status_code for _ in range(4)] == [200, 200, 200, 429]
    with tight.app_context():
        assert db.session.scalar(select(func.count(NikLookup.id))) == 3


def test_anonymous_page_posts_are_refused_and_do_not_spend_the_address_budget(tight, learning):
    tight.config["WTF_CSRF_ENABLED"] = False
    address = unique_address()
    anonymous = tight.test_client()
    for _ in range(10):
        refused = anonymous.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK},
                                 environ_base={"REMOTE_ADDR": address})
        assert refused.status_code == 401
        assert "Silakan masuk" in refused.get_data(as_text=True)
    page = log_in(tight, unique_email("halaman.sesudah.anonim"))
    statuses = [page.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK},
                          environ_base={"REMOTE_ADDR": address}).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]


def test_anonymous_page_get_still_redirects_to_login(client):
    response = client.get("/sertifikasi/cek-nik/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
