"""The UKPPPG, Cek NIK and Pusat Bantuan operations are declared: a schema for every status, parameters and request
bodies generated from the same declarations that validate the requests."""

from __future__ import annotations

from pathlib import Path

OPERATIONS = [("/ukppg/sessions", "get"), ("/ukppg/registrations", "post"), ("/ukppg/registrations", "get"),
              ("/ukppg/registrations/me", "get"), ("/ukppg/registrations/me", "put"),
              ("/ukppg/registrations/me", "delete"), ("/ukppg/sites", "get"), ("/ukppg/sites", "post"),
              ("/nik-check", "post"), ("/tickets", "post"), ("/tickets", "get"), ("/tickets/{ticket_id}", "get"),
              ("/tickets/{ticket_id}/messages", "post"), ("/tickets/{ticket_id}/repoint", "get"),
              ("/tickets/{ticket_id}/repoint", "post")]


def test_every_status_has_a_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, method in OPERATIONS:
        operation = doc["paths"][path][method]
        assert operation["summary"] and operation["tags"], (path, method)
        responses = operation["responses"]
        assert "401" in responses and "default" in responses, (path, method)
        for status, response in responses.items():
            if "$ref" in response:
                response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            assert response["description"], (path, method, status)
            assert any("schema" in c for c in response["content"].values()), (path, method, status)


def test_parameters_and_bodies_are_declared(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    register = doc["paths"]["/ukppg/registrations"]["post"]
    choice = schemas[register["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert choice["required"] == ["session_id"]
    assert choice["properties"]["session_id"] == {"type": "integer", "minimum": 1, "maximum": 2147483647,
                                                  "description": choice["properties"]["session_id"]["description"]}
    nik = doc["paths"]["/nik-check"]["post"]
    assert {"200", "401", "422", "429"} <= set(nik["responses"])
    result = schemas[nik["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"registered", "message", "email_masked"} <= set(result["required"])
    sessions = schemas["UkppgSession"]
    assert {"id", "site", "province", "date", "start", "seats", "seats_left"} <= set(sessions["required"])
    assert list(doc["paths"]["/ukppg/sites"]["post"]["requestBody"]["content"]) == ["text/csv"]
    export = doc["paths"]["/ukppg/registrations"]["get"]
    assert {p["name"] for p in export["parameters"]} == {"cohort", "format"}
    assert set(export["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    repoint = doc["paths"]["/tickets/{ticket_id}/repoint"]["get"]
    assert {p["name"] for p in repoint["parameters"]} == {"entry_id", "email"}
    queue = doc["paths"]["/tickets"]["get"]
    assert {p["name"] for p in queue["parameters"]} == {"all", "status", "category", "q", "page", "after"}


def test_the_api_modules_parse_nothing_by_hand_and_views_do_not_commit():
    root = Path(__file__).resolve().parents[2] / "lms"
    for name in ("ukppg/api.py", "access/api.py", "helpdesk/api.py"):
        text = (root / name).read_text()
        assert "document(" not in text and "get_json" not in text and "request.args" not in text, name
        assert "request.form" not in text and "request.files" not in text, name
    for name in ("ukppg/api.py", "ukppg/views.py", "helpdesk/api.py", "helpdesk/views.py"):
        text = (root / name).read_text()
        assert "commit()" not in text and "rollback()" not in text, name
