"""The selection API is declared: every operation has its parameters, body and a response schema for every
status in the OpenAPI document, and no hand-written document is left."""

from __future__ import annotations

from lms.selection.listing import MAX_PER_PAGE

OPERATIONS = [("/selection/runs", "get"), ("/selection/runs/{run_id}", "get"),
              ("/selection/runs/{run_id}/entries", "get"), ("/selection/entries/{entry_id}/removals", "post"),
              ("/selection/removals", "get"), ("/selection/removals/{proposal_id}/decision", "post"),
              ("/selection/runs/{run_id}/publication", "post")]


def test_every_selection_operation_declares_a_schema_for_every_status(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, method in OPERATIONS:
        operation = doc["paths"][path][method]
        assert operation["tags"] == ["penetapan"] and operation["summary"], (path, method)
        responses = operation["responses"]
        assert {"401", "403", "default"} <= set(responses), (path, method)
        for status, response in responses.items():
            if "$ref" in response:
                response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            assert "schema" in response["content"]["application/json"], (path, method, status)
        if method == "post":
            assert operation["requestBody"]["required"] is True and "422" in responses, path
    entries = doc["paths"]["/selection/runs/{run_id}/entries"]["get"]
    query = {p["name"]: p["schema"] for p in entries["parameters"] if p["in"] == "query"}
    assert query["per_page"]["maximum"] == MAX_PER_PAGE and query["page"]["maximum"] == 2147483647
    assert query["kode_kabkota"]["pattern"] == "^[0-9]{4}$" and "ditetapkan" in query["status"]["enum"]
    run_id = next(p for p in doc["paths"]["/selection/runs/{run_id}"]["parameters"] if p["name"] == "run_id")
    assert run_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    run = doc["components"]["schemas"]["Run"]
    assert {"failure_reason", "placeholder_policy", "counts", "status"} <= set(run["required"])
    publication = doc["paths"]["/selection/runs/{run_id}/publication"]["post"]["responses"]
    assert "409" in publication and "import_id" in str(publication["422"]) + str(doc["components"]["schemas"].get(
        "PublicationFailed", {}))
