"""Pusat Bantuan fixtures: two teachers and an agent with tokens, uploads in a temporary folder."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.helpdesk.helpers import AGENT, TEACHER_A, TEACHER_B, form, grant, upload


@pytest.fixture
def desk(app, client, learning, tmp_path):
    """Two teachers and a helpdesk agent with API tokens; uploads go to a temporary folder."""
    uploads = tmp_path / "uploads"
    default_folder = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(uploads)
    grant(app, AGENT, "helpdesk")

    def open_ticket(headers, data=None, files=None):
        payload = {**(data if data is not None else form()), **(files if files is not None else upload())}
        # Encoded in memory: the test client spools big bodies to a temporary file it never closes.
        boundary, body = encode_multipart({key: FileStorage(value[0], value[1], content_type="application/octet-stream")
                                           if isinstance(value, tuple) else value for key, value in payload.items()})
        return client.post("/api/v1/tickets", data=body, headers=headers,
                           content_type=f"multipart/form-data; boundary={boundary}")

    return SimpleNamespace(app=app, client=client, uploads=uploads, default_folder=default_folder,
                           a=learning.headers(TEACHER_A), b=learning.headers(TEACHER_B), agent=learning.headers(AGENT),
                           open=open_ticket)

