"""The app's JSON answers (``StrictJSONProvider.response``, orjson through ``lms.core.jsontext``): the value Flask's
default provider (the standard library) gave, for every type that reaches it; the same bytes where the text is
ASCII; the standard library's own text where orjson refuses the value."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, lazy_gettext
from markupsafe import Markup

from lms.core import input as strict
from lms.core import jsontext


@dataclasses.dataclass
class Window:
    opens: datetime
    code: str
    seats: list[int]


@pytest.fixture
def flask_app():
    app = Flask(__name__)
    strict.init_app(app)
    Babel(app)
    return app


def _both(app, value) -> tuple[bytes, bytes]:
    """(the app's answer, Flask's default provider's answer) for ``value``."""
    with app.test_request_context("/"):
        ours = app.json.response(value)
        flask_default = DefaultJSONProvider.response(app.json, value)
        assert ours.mimetype == flask_default.mimetype == "application/json"
        return ours.get_data(), flask_default.get_data()


ASCII_VALUES = [
    {"b": 1, "a": [1, 2.5, -3, True, False, None], "c": {"z": "x", "y": ""}},
    {"when": datetime(2026, 12, 1, 10, 5, 7, 123456, tzinfo=UTC), "day": date(2026, 12, 1),
     "naive": datetime(2026, 1, 2, 3, 4, 5),
     "jakarta": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=7)))},
    {"amount": Decimal("12.50"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"window": Window(datetime(2026, 3, 1, tzinfo=UTC), "W1", [3, 1]),
     "list": [Window(datetime(2026, 3, 2), "W2", [])]},
    {"html": Markup("<b>tebal</b>"), "escaped": Markup.escape("<i>&</i>"), "lazy": lazy_gettext("Simpan")},
    {"nested": [[[{"deep": [1, {"x": (1, 2)}]}]]], "tuple": (1, "a"), "empty": {}, "none": []},
    [1, "dua", 3.0],
    "teks",
    None,
    {"score": 87.5, "max": 100, "percent": 0.1, "big": 2**63 - 1, "neg": -(2**63)},
]


@pytest.mark.parametrize("value", ASCII_VALUES)
def test_ascii_answers_are_the_same_bytes(flask_app, value):
    ours, flask_default = _both(flask_app, value)
    assert ours == flask_default


def test_keys_are_sorted_at_every_level(flask_app):
    ours, _ = _both(flask_app, {"z": 1, "a": {"y": 2, "b": 3}, "m": [{"d": 1, "c": 2}]})
    assert ours == b'{"a":{"b":3,"y":2},"m":[{"c":2,"d":1}],"z":1}\n'


def test_non_ascii_text_is_utf8_and_the_same_json(flask_app):
    value = {"nama": "Siti Rahayu — guru", "kota": "Jayapura ✓", "emoji": "😀", "zh": "中文", "é": "ü"}
    ours, flask_default = _both(flask_app, value)
    assert ours != flask_default and b"\\u" in flask_default and b"\\u" not in ours
    assert "Siti Rahayu — guru".encode() in ours
    assert json.loads(ours) == json.loads(flask_default) == value


@pytest.mark.parametrize("value", [
    {"huge": 2**64},  # beyond 64 bits
    {"small": -(2**63) - 1},
    {1: "satu", 10: "sepuluh", 9: "sembilan"},  # keys that are not strings (sorted as numbers, as before)
    {"lone": "a\ud800b"},  # a lone surrogate: escaped by the standard library
    {"deep": json.loads("[" * 300 + "]" * 300)},  # deeper than orjson writes
])
def test_what_orjson_refuses_is_written_by_the_standard_library(flask_app, value):
    ours, flask_default = _both(flask_app, value)
    assert ours == flask_default


def test_an_unknown_type_is_still_a_type_error(flask_app):
    with flask_app.test_request_context("/"), pytest.raises(TypeError):
        flask_app.json.response({"set": {1, 2}})


def test_debug_answers_stay_indented(flask_app):
    flask_app.debug = True
    with flask_app.test_request_context("/"):
        assert flask_app.json.response({"b": 1, "a": 2}).get_data() == b'{\n  "a": 2,\n  "b": 1\n}\n'


def test_compact_calls_the_fallback_only_for_what_orjson_refuses():
    seen = []

    def fallback(value):
        seen.append(value)
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    assert jsontext.compact({"b": 2**70, "a": 1}, sort_keys=True, fallback=fallback) == b'{"a":1,"b":%d}' % 2**70
    assert jsontext.compact({"b": 2, "a": 1}, sort_keys=True, fallback=fallback) == b'{"a":1,"b":2}'
    assert jsontext.compact({"b": 2, "a": 1}, fallback=fallback) == b'{"b":2,"a":1}'  # unsorted: insertion order
    assert seen == [{"b": 2**70, "a": 1}]


def test_the_progress_answer_is_sorted_compact_json(app, learning, during):
    curriculum_id = learning.curriculum(code="KUR-J", modules=2, materi=2, questions=1, prompts=1)
    learning.participant(cohort_id=learning.cohort(code="C-J", curriculum_id=curriculum_id))
    response = app.test_client().get("/api/v1/me/progress", headers=learning.headers())
    body = response.get_data()
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert len(json.loads(body)["modules"]) == 2
    again = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert body == again.encode() + b"\n"
