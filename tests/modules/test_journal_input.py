"""The journal body's shortcut (``JournalIn.load_plain``) answers what the schema's ``load`` answers, or leaves the
body to ``load``: it never accepts what ``load`` refuses, and never loads a body differently."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import RAISE, ValidationError
from werkzeug.datastructures import Headers

from lms.api.schemas import IdempotencyHeader
from lms.core.input import MAX_ID
from lms.journal.models import MAX_ANSWER_LENGTH
from lms.modules.schemas import JournalIn

SCHEMA = JournalIn()


def _load(body):
    try:
        return SCHEMA.load(body, unknown=RAISE)  # as the API parser loads a JSON body
    except ValidationError:
        return None


def _agrees(body) -> None:
    plain = SCHEMA.load_plain(body)
    if plain is not None:
        assert plain == _load(body), body


PLAIN = [
    {"answers": {}},
    {"answers": {"12": "teks"}, "submit": False},
    {"answers": {"12": "teks", "13": ""}, "submit": True, "version": 0},
    {"answers": {"1" * 20: "x" * MAX_ANSWER_LENGTH}, "version": MAX_ID},
    {"submit": False, "answers": {"7": "a"}, "version": 3},
]


@pytest.mark.parametrize("body", PLAIN)
def test_a_plain_body_is_loaded_as_the_schema_loads_it(body):
    assert SCHEMA.load_plain(body) == _load(body) is not None


@pytest.mark.parametrize("body", [
    {}, {"submit": False}, {"answers": []}, {"answers": "teks"}, {"answers": None},
    {"answers": {"": "teks"}}, {"answers": {"1" * 21: "teks"}}, {"answers": {"1": 5}}, {"answers": {"1": None}},
    {"answers": {"1": "x" * (MAX_ANSWER_LENGTH + 1)}}, {"answers": {}, "submit": 1}, {"answers": {}, "submit": "true"},
    {"answers": {}, "submit": None}, {"answers": {}, "version": True}, {"answers": {}, "version": 1.0},
    {"answers": {}, "version": "1"}, {"answers": {}, "version": -1}, {"answers": {}, "version": MAX_ID + 1},
    {"answers": {}, "version": None}, {"answers": {}, "extra": 1}, [], "teks", None,
])
def test_anything_else_is_left_to_the_schema(body):
    assert SCHEMA.load_plain(body) is None


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                 max_size=3), max_leaves=8)
_keys = st.text(max_size=22)
_bodies = st.fixed_dictionaries({}, optional={
    "answers": st.dictionaries(_keys, st.text(max_size=5) | _json, max_size=4) | _json,
    "submit": st.booleans() | _json, "version": st.integers(min_value=-2, max_value=MAX_ID + 2) | _json,
    "other": _json})


@settings(max_examples=400, deadline=None)
@given(_bodies)
def test_the_shortcut_never_disagrees_with_the_schema(body):
    _agrees(body)


def test_without_an_idempotency_key_the_header_loads_as_the_schema_loads_it():
    schema = IdempotencyHeader()
    assert schema.load_plain(Headers({"Authorization": "Bearer x"})) == schema.load({}) == {}
    assert schema.load_plain(Headers({"idempotency-key": "k"})) is None
    assert schema.load_plain(Headers({"Idempotency-Key": ""})) is None
