"""The strict JSON reading (``lms.core.input.StrictJSONProvider.loads``): a plainly clean document is not walked, and
every document is refused or accepted exactly as the full walk would."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from lms.core import input as strict
from lms.core.input import MAX_JSON_DEPTH, InvalidInput

REFUSED = [
    b'{"answers": {"1\\u0000": 1}}',  # NUL in a key
    b'{"answers": {"1": 1}, "note": "a\\u0000b"}',  # NUL in a string
    b'{"answers": {"1": "\xff"}}',  # invalid UTF-8
    b'{"answers": {"1": "\\ud800"}}',  # a lone surrogate, escaped
    b'{"answers": {"1": "\xed\xa0\x80"}}',  # a lone surrogate, encoded
    b'{"answers": {"1": "a\x00b"}}',  # a raw NUL in a string (a control character)
    b'{"answers": {"1": NaN}}', b'{"answers": {"1": 1e400}}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    '{"a": "\ud800"}',  # a str holding a lone surrogate
    "\ufeff{}", b"{not json",
]
ACCEPTED = [
    b'{"answers": {"12": "Saya belajar banyak."}, "submit": false}',
    b'{"answers": {"12": "Ibu guru berkata \\"ya\\" {dan} [tidak]"}}',
    '{"a": "é ü 中文 \\\\u"}'.encode(),  # a backslash then u: walked, and fine
    '{"a": "é"}',  # a str
    b'{"a": "\\u00e9"}',  # an escape: walked, and fine
    b'{"a": ' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH,  # exactly the limit
    b'{"a": "' + b"{" * 100 + b'"}',  # brackets in a string: walked, and fine
    '{"a": 1}'.encode("utf-16"), b"\xef\xbb\xbf{}", b'{"f": 1.5, "n": -3}',
]


def _walked(s):
    """The reading before the plain path: ``json.loads`` with the strict options, then the walk."""
    value = json.loads(s, parse_constant=strict._reject_constant, parse_float=strict._finite_float)
    strict.check_json_value(value)
    return value


@pytest.fixture
def provider():
    return strict.StrictJSONProvider(Flask(__name__))


@pytest.mark.parametrize("document", REFUSED)
def test_what_the_walk_refuses_is_refused(provider, document):
    with pytest.raises((InvalidInput, ValueError, RecursionError)):
        _walked(document)
    with pytest.raises(InvalidInput):
        provider.loads(document)


@pytest.mark.parametrize("document", ACCEPTED)
def test_what_the_walk_accepts_reads_the_same(provider, document):
    assert provider.loads(document) == _walked(document)


def test_a_plainly_clean_document_is_not_walked(provider, monkeypatch):
    walked = []
    monkeypatch.setattr(strict, "check_json_value", walked.append)
    provider.loads(b'{"answers": {"12": "Saya belajar banyak."}, "submit": false}')
    assert walked == []
    provider.loads(b'{"answers": {"12": "caf\\u00e9"}}')
    assert walked == [{"answers": {"12": "café"}}]
