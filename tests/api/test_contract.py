"""One contract: the declared operations validate the request and generate the OpenAPI document; validation errors
have the project's shape, in Indonesian or English."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.auth.models import UserRole
from lms.extensions import db
from lms.posttest.models import Attempt
from tests.modules.test_api_errors import World, assert_error

CONVERTED = [("/me", "get"), ("/me/progress", "get"), ("/materi/{materi_id}/complete", "post"),
             ("/posttests/{module_id}", "get"), ("/posttests/{module_id}/attempts", "post"), ("/users", "get"),
             ("/users/{email}/roles/{role}", "put"), ("/users/{email}/roles/{role}", "delete"),
             ("/journals/{module_id}", "get"), ("/journals/{module_id}", "put")]


@pytest.fixture
def world(app, learning, during):
    return World(app, learning)


def test_the_document_keeps_its_url_security_schemes_and_error_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"} and "errors" in error["properties"]
    assert doc["servers"] == [{"url": "/api/v1"}]


def test_declared_operations_have_schemas_for_every_status(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, method in CONVERTED:
        operation = doc["paths"][path][method]
        responses = operation["responses"]
        success = [s for s in responses if s.startswith("2")]
        assert success, (path, method)
        for status, response in responses.items():
            if "$ref" in response:
                name = response["$ref"].rsplit("/", 1)[1]
                response = doc["components"]["responses"][name]
            assert "schema" in response["content"]["application/json"], (path, method, status)
        assert "401" in responses and "default" in responses
    attempt = doc["paths"]["/posttests/{module_id}/attempts"]["post"]
    assert attempt["requestBody"]["required"] is True and "422" in attempt["responses"]
    path_item = doc["paths"]["/posttests/{module_id}/attempts"]
    module_id = next(p for p in path_item["parameters"] if p["name"] == "module_id")
    assert module_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    progress = doc["components"]["schemas"]["Progress"]
    assert {"cohort", "percent", "complete", "modules", "registration"} <= set(progress["required"])


def test_every_domain_operation_is_declared_in_the_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, method in [("/journals/{module_id}", "put"), ("/cohorts", "get"), ("/nik-check", "post"),
                         ("/ukppg/sessions", "get")]:
        assert doc["paths"][path][method]["summary"], (path, method)
    assert "/openapi.json" not in doc["paths"]


def test_validation_error_shape_in_indonesian(world):
    world.finish_materi()
    url = f"/api/v1/posttests/{world.module_id}/attempts"
    body = assert_error(world.call("post", url, {"answers": [], "extra": 1}), 422, "invalid")
    assert body["message"] == "Data yang dikirim tidak valid."
    assert body["errors"] == {"answers": "Harus berupa objek JSON.", "extra": "Kolom tidak dikenal."}
    body = assert_error(world.call("post", url, {}), 422, "invalid")
    assert body["errors"] == {"answers": "Wajib diisi."}
    body = assert_error(world.call("post", url, {"answers": "semua"}), 422, "invalid")
    assert body["errors"] == {"answers": "Harus berupa objek JSON."}
    assert world.stored() == (2, 0, 0)


def test_validation_error_in_english_on_accept_language_en(world):
    world.finish_materi()
    headers = {**world.headers, "Accept-Language": "en"}
    url = f"/api/v1/posttests/{world.module_id}/attempts"
    body = assert_error(world.call("post", url, {"answers": {"1" * 21: 1}, "x": 1}, headers), 422, "invalid")
    assert body["message"] == "The data sent is not valid."
    assert body["errors"] == {f"answers.{'1' * 21}": "Length must be between 1 and 20.", "x": "Unknown field."}
    body = assert_error(world.call("post", url, {"answers": []}, headers), 422, "invalid")
    assert body["errors"] == {"answers": "Must be a JSON object."}


def test_query_and_path_parameters_are_validated(app, learning):
    with app.app_context():
        from lms.auth import services

        user = services.get_or_create_account("super.uji@belajar.id", now=services_now(),
                                              allowed_domains=app.config["ALLOWED_EMAIL_DOMAINS"])
        services.grant_role(user, "superadmin", now=services_now())
        db.session.commit()
    client = app.test_client()
    headers = {**learning.headers("super.uji@belajar.id"), "Accept-Language": "en"}
    body = assert_error(client.get("/api/v1/users?role=raja", headers=headers), 422, "invalid")
    assert body["errors"] == {"role": "Must be one of: guru, admin_angkatan, helpdesk, dinas, lpmp, superadmin."}
    body = assert_error(client.put("/api/v1/users/a.b@belajar.id/roles/raja", headers=headers), 422, "invalid")
    assert "role" in body["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserRole)) == 1
    assert client.get("/api/v1/users?role=superadmin&_=123", headers=headers).status_code == 200  # ignored


def services_now():
    from tests.learning import DURING

    return DURING


def test_a_converted_write_is_committed_by_the_boundary(world):
    world.finish_materi()
    response = world.call("post", f"/api/v1/posttests/{world.module_id}/attempts", {"answers": world.answers()})
    assert response.status_code == 201
    assert set(response.get_json()) >= {"score", "max_score", "feedback"}
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
