"""Every keyset-paged list documents the same contract: an ``after`` parameter (with ``page`` kept and said to be
OFFSET), ``next_cursor`` and ``next`` in the answer."""

from __future__ import annotations

import pytest

LISTS = {"/cohorts/{code}/enrollments": "EnrollmentPage", "/tickets": "TicketList",
         "/selection/runs/{run_id}/entries": "EntryPage", "/selection/removals": "ProposalPage"}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_keyset_lists_document_after_next_cursor_and_next(client, path):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"][path]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert "next_cursor" in parameters["after"]["description"], path
    assert "OFFSET" in parameters["page"]["description"] or "offset" in parameters["page"]["description"], path
    assert "422" in operation["responses"]
    answer = doc["components"]["schemas"][LISTS[path]]["properties"]
    assert {"next_cursor", "next"} <= set(answer), path
