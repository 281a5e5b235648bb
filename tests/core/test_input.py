"""No input is a 500: ids out of range, NUL bytes, invalid UTF-8, over-deep JSON, non-finite numbers and bodies that
are not objects are refused with 4xx in the project's error shape, on the API and on an HTML form, and change
nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.core.input import IdConverter
from lms.extensions import db
from lms.helpdesk.models import Ticket
from lms.posttest.models import Attempt
from tests.learning import log_in
from tests.modules.test_api_errors import World, assert_error


@pytest.fixture
def world(app, learning, during):
    world = World(app, learning)
    world.finish_materi()
    return world


def attempts(world) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attempt))


@pytest.mark.parametrize("module_id", ["0", "-1", "2147483648", "99999999999999999999999999"])
def test_ids_outside_the_integer_column_are_404(world, module_id):
    assert_error(world.call("get", f"/api/v1/posttests/{module_id}"), 404, "not_found")
    assert_error(world.call("post", f"/api/v1/posttests/{module_id}/attempts", {"answers": {}}), 404, "not_found")
    assert_error(world.call("post", f"/api/v1/materi/{module_id}/complete"), 404, "not_found")
    page = world.client.get(f"/sertifikasi/modul/{module_id}")
    assert page.status_code == 404 and "text/html" in page.content_type
    assert world.call("get", f"/api/v1/posttests/{2147483647}").status_code == 404  # in range: the lookup's 404


@pytest.mark.parametrize("out_of_range", ["0", "2147483648"])
def test_an_id_out_of_range_is_404_whatever_the_method_and_the_route(app, out_of_range):
    """Every route with an id, every method it answers: 404, never 405 (werkzeug used to report the methods of the
    rules it passed, so ``PUT /api/v1/journals/0`` was a 405 next to ``GET /api/v1/journals/<int>``)."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        ids = [name for name, converter in rule._converters.items() if isinstance(converter, IdConverter)]
        if not ids:
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            value = out_of_range if name in ids else "x"
            path = re.sub(rf"<(?:[^<>:]+:)?{name}>", value, path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked > 20
    assert_error(client.put(f"/api/v1/journals/{out_of_range}", json={"answers": {}}), 404, "not_found")


def post_raw(world, data: bytes, content_type="application/json", headers=None):
    return world.client.post(f"/api/v1/posttests/{world.module_id}/attempts", data=data, content_type=content_type,
                             headers={**world.headers, **(headers or {})})


@pytest.mark.parametrize("data", [
    b'{"answers": {"1\\u0000": 1}}',  # NUL in a key
    b'{"answers": {"1": 1}, "note": "a\\u0000b"}',  # NUL in a string
    b'{"answers": {"1": "\xff"}}',  # invalid UTF-8
    b'{"answers": {"1": "\\ud800"}}',  # a lone surrogate
    b'{"answers": {"1": NaN}}', b'{"answers": {"1": Infinity}}', b'{"answers": {"1": -Infinity}}',
    b'{"answers": {"1": 1e400}}', b'{"answers": {"1": 1' + b"0" * 5000 + b'}}',
    b"[" * 100_000 + b"]" * 100_000,  # deeper than the interpreter's recursion limit
    b'{"answers": ' + b'{"a": ' * 70 + b"1" + b"}" * 70 + b"}",  # deeper than MAX_JSON_DEPTH
    b"[1, 2]", b'"answers"', b"5", b"null", b"{not json",
])
def test_unreadable_json_bodies_are_422(world, data):
    body = assert_error(post_raw(world, data), 422, "invalid")
    assert "body" in body["errors"] or "answers" in body["errors"], body
    assert attempts(world) == 0


def test_an_object_where_a_string_is_expected_is_422_on_an_unconverted_endpoint(world):
    for payload in ([1, 2], "x"):
        response = world.client.post("/api/v1/nik-check", json=payload, headers=world.headers)
        assert_error(response, 422, "invalid")


def test_nul_and_invalid_utf8_in_the_query_string_are_422(world):
    for query in ("x=%00", "x=%ff", "a%00=1"):
        body = assert_error(world.call("get", f"/api/v1/me/progress?{query}"), 422, "invalid")
        assert "query" in body["errors"]
    assert world.call("get", "/api/v1/me/progress?x=%C3%A9").status_code == 200  # é is fine


def test_nul_in_a_header_is_422(world):
    response = world.client.get("/api/v1/me/progress", headers={**world.headers, "Accept-Language": "id\x00"})
    assert_error(response, 422, "invalid")
    # Content-Type travels without the HTTP_ prefix of the other headers
    response = world.client.get("/api/v1/me/progress", headers={**world.headers, "Content-Type": "text/plain\x00"})
    assert_error(response, 422, "invalid")


def test_html_form_with_nul_or_invalid_utf8_is_422_and_creates_nothing(app, learning, during):
    client = log_in(app, "guru.satu@guru.sd.belajar.id")
    for data in ("subject=a%00b&body=isi", "subject=%ff&body=isi"):
        page = client.post("/bantuan/baru", data=data, content_type="application/x-www-form-urlencoded")
        assert page.status_code == 422 and "text/html" in page.content_type
    page = client.post("/bantuan/baru", data={"subject": "a\x00b", "body": "isi"}, content_type="multipart/form-data")
    assert page.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_too_large_bodies_keep_413(world):
    world.app.config["MAX_CONTENT_LENGTH"] = 1024
    assert_error(post_raw(world, b'{"answers": {"1": "' + b"1" * 2000 + b'"}}'), 413, "too_large")
    page = world.client.post("/bantuan/baru", data="subject=" + "a" * 2000,
                             content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413
    assert attempts(world) == 0
