"""Compact JSON as UTF-8 bytes by orjson, with the standard library's meaning: for the app's JSON answers and the
JSON log lines, where ``json.dumps`` cost several times the encoding itself.

``compact(value, default)`` is ``json.dumps(value, default=default, separators=(",", ":"), sort_keys=...)``
encoded as UTF-8, with these differences only, none of which changes the value a JSON reader gets:

- characters outside ASCII are written as UTF-8, not as ``\\u`` escapes;
- a float is written in its shortest form with orjson's exponent notation (``1e-5`` where Python writes ``1e-05``);
- NaN and infinities, which the standard library writes as the tokens ``NaN``/``Infinity`` (not JSON), are ``null``.

Dates, times and dataclasses go to ``default`` as they do with the standard library (orjson would write dates in
RFC 3339 and dataclasses by itself). Whatever orjson refuses (an integer beyond 64 bits, a key that is not a
string, a string with a lone surrogate, nesting beyond 254 levels, a ``default`` that raises) is written by the
standard library instead (``fallback``): the text it always gave, or the ``TypeError`` it always raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_SORTED = _OPTIONS | orjson.OPT_SORT_KEYS


def compact(value: Any, default: Callable[[Any], Any] | None = None, *, sort_keys: bool = False,
            fallback: Callable[[Any], str]) -> bytes:
    """``value`` as compact JSON in UTF-8 bytes; ``fallback(value)`` (the standard library's text, ASCII-escaped)
    for what orjson refuses."""
    try:
        return orjson.dumps(value, default, _SORTED if sort_keys else _OPTIONS)
    except orjson.JSONEncodeError:
        return fallback(value).encode("utf-8")


def compact_text(value: Any, default: Callable[[Any], Any] | None = None, *, fallback: Callable[[Any], str]) -> str:
    """``compact`` as text (keys in their order), with ``fallback(value)`` as it is: a log line keeps a lone
    surrogate the standard library lets through (the stream escapes it) instead of failing to encode."""
    try:
        return orjson.dumps(value, default, _OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        return fallback(value)
