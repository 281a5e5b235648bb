"""JSON columns on PostgreSQL are read by the project's decoder (``lms.config._json_column``), value for value as
``json.loads`` reads them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import JSON, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from lms import config
from lms.extensions import db

DOCUMENTS = ['{"12": "Saya belajar banyak.", "13": "é ü 中文 \\\\u00e9 \\"kutip\\""}', '[1, 2.5, -3e2, true, null]',
             '"teks"', '{}', '{"a": {"b": [{"c": "\\ud83d\\ude00"}]}}']


@pytest.mark.postgres
@pytest.mark.parametrize("kind", [JSON, JSONB], ids=["json", "jsonb"])
def test_json_columns_read_as_json_loads_reads_them(pg_app, kind):
    with pg_app.app_context():
        assert db.engine.dialect._json_deserializer is config._json_column
        for document in DOCUMENTS:
            value = db.session.scalar(select(literal(document).cast(kind)))
            assert value == json.loads(document), document
