"""No input is a 500: the checks every request gets, API and HTML pages alike, before any view reads it.

- ids in URL paths: the ``int`` converter is bounded to PostgreSQL's ``integer`` (1..2147483647); outside, 404;
- NUL bytes or invalid UTF-8 in the query string, a form field or a header value: 422;
- JSON bodies (the app's JSON provider): invalid UTF-8, lone surrogates, NUL in a string, ``NaN``/``Infinity``,
  numbers that overflow to infinity, nesting deeper than ``MAX_JSON_DEPTH`` or a top-level value that is not an
  object: 422 ``invalid`` with ``errors.body``;
- bodies over ``MAX_CONTENT_LENGTH`` keep werkzeug's 413.

The refusals are ``InvalidInput`` (a ``DomainError``), so the app's error handler renders them as JSON for the API
and as the HTML error page elsewhere.
"""

from __future__ import annotations

import json
import math
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, Response, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

from lms.core import jsontext
from lms.core.errors import Invalid

#: PostgreSQL ``integer``: every id column.
MAX_ID = 2_147_483_647
#: Deeper JSON than this is refused; no API body nests more than a few levels.
MAX_JSON_DEPTH = 64


class InvalidInput(Invalid):
    """The bytes of the request cannot be read as text or JSON; ``details`` names the part."""

    message = _l("Data yang dikirim tidak dapat dibaca (karakter atau format tidak valid).")


class IdConverter(IntegerConverter):
    """``<int:...>`` for ids: 1..2147483647, so that a larger number is a 404, not a database error.

    Out of range is a 404 whatever the method. werkzeug converts a path's values only once it has picked the rule,
    and a converter's ``ValidationError`` then reports the other methods it passed on the way (``PUT /journals/0``
    was a 405 because ``GET /journals/<int>`` came first), so the converter raises ``NotFound`` itself.
    """

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's argument name
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError as exc:
            raise NotFound() from exc


# --- JSON --------------------------------------------------------------------------------------------------------

def _bad_json(reason) -> InvalidInput:
    return InvalidInput(details={"body": str(reason)})


def _reject_constant(name: str):
    raise _bad_json(_l("Angka tidak terhingga atau NaN tidak diterima."))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _bad_json(_l("Angka terlalu besar."))
    return value


def check_json_value(value) -> None:
    """Walk a parsed JSON value without recursion: depth, NUL bytes and lone surrogates in strings and keys."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _bad_json(_l("Struktur JSON terlalu dalam."))
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise _bad_json(_l("Teks tidak boleh berisi karakter NUL."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _bad_json(_l("Teks bukan UTF-8 yang valid.")) from exc


#: The strict decoder, built once (``json.loads`` with options builds a decoder and its scanner on every call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def _document(s) -> tuple[str, bool]:
    """The JSON text as ``json.loads`` reads it, and whether no string in it can hold what ``check_json_value``
    refuses, so that the walk is not needed: text from strict UTF-8 (or a ``str`` that encodes as UTF-8) has no lone
    surrogate; without a ``\\u`` escape no string can hold NUL or a surrogate (the decoder refuses raw control
    characters in strings); with at most ``MAX_JSON_DEPTH`` opening brackets, strings included, nothing nests deeper.
    Anything else is walked. ``tests/core/test_input.py`` compares both ways on the refused bodies."""
    if isinstance(s, str):
        if s.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", s, 0)
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            return s, False
        text = s
    elif isinstance(s, bytes | bytearray):
        encoding = json.detect_encoding(s)
        if encoding != "utf-8":
            return s.decode(encoding, "surrogatepass"), False
        try:
            text = s.decode("utf-8")
        except UnicodeDecodeError:
            return s.decode("utf-8", "surrogatepass"), False  # encoded surrogates pass here, to be walked
    else:
        raise TypeError(f"the JSON object must be str, bytes or bytearray, not {s.__class__.__name__}")
    return text, "\\u" not in text and text.count("{") + text.count("[") <= MAX_JSON_DEPTH


class StrictJSONProvider(DefaultJSONProvider):
    """``loads`` refuses what JavaScript's JSON and PostgreSQL cannot hold; ``response`` writes the compact JSON by
    orjson (``jsontext.compact``: Flask's default types and sorted keys as before, non-ASCII characters as UTF-8);
    ``dumps`` (the templates' ``tojson``, with the standard library's spaces) is Flask's default."""

    def response(self, *args, **kwargs) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)  # indented, for reading: the standard library's
        value = self._prepare_response_obj(args, kwargs)
        body = jsontext.compact(value, self.default, sort_keys=self.sort_keys, fallback=self._stdlib_compact)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)

    def _stdlib_compact(self, value) -> str:
        return json.dumps(value, default=self.default, ensure_ascii=self.ensure_ascii, sort_keys=self.sort_keys,
                          separators=(",", ":"))

    def loads(self, s, **kwargs):
        plain = False
        try:
            if kwargs:  # the caller's own decoder options: the standard library's path, with the strict ones
                kwargs.setdefault("parse_constant", _reject_constant)
                kwargs.setdefault("parse_float", _finite_float)
                value = json.loads(s, **kwargs)
            else:
                text, plain = _document(s)
                value = _DECODER.decode(text)
        except RecursionError as exc:
            raise _bad_json(_l("Struktur JSON terlalu dalam.")) from exc
        except ValueError as exc:  # syntax, invalid UTF-8, an integer of more than 4300 digits
            raise _bad_json(_l("Isi permintaan bukan JSON yang valid.")) from exc
        if not plain:
            check_json_value(value)
        return value


class StrictRequest(Request):
    """A JSON body must be an object: no endpoint takes a top-level array or scalar."""

    def get_json(self, force=False, silent=False, cache=True):
        value = super().get_json(force=force, silent=silent, cache=cache)
        if value is not None and not isinstance(value, dict):
            raise _bad_json(_l("Isi permintaan harus berupa objek JSON."))
        return value


# --- query string, form, headers ---------------------------------------------------------------------------------

def _check_urlencoded(raw: bytes, part: str) -> None:
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        raise InvalidInput(details={part: str(_l("Teks tidak boleh berisi karakter NUL."))})
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(details={part: str(_l("Teks bukan UTF-8 yang valid."))}) from exc


_UNPREFIXED_HEADERS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def check_request_text() -> None:
    """before_request: the query string, an urlencoded or multipart form and the headers are clean text."""
    req = request._get_current_object()
    if req.query_string:
        _check_urlencoded(req.query_string, "query")
    # The headers straight from the WSGI environ (``HTTP_*``, and the two without the prefix), without building
    # Werkzeug's header objects on every request; the NUL looked for first, with no call for a plain str.
    for name, value in req.environ.items():
        if ("\x00" in name or ((value.__class__ is str or isinstance(value, str)) and "\x00" in value)) and (
                name.startswith("HTTP_") or name in _UNPREFIXED_HEADERS) and isinstance(value, str):
            raise InvalidInput(details={"headers": str(_l("Teks tidak boleh berisi karakter NUL."))})
    mimetype = req.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        _check_urlencoded(req.get_data(cache=True), "form")
    elif mimetype == "multipart/form-data":
        for key, value in req.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise InvalidInput(details={"form": str(_l("Teks tidak boleh berisi karakter NUL."))})


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: the converter is bound when a rule is added."""
    app.url_map.converters["int"] = IdConverter
    app.json = StrictJSONProvider(app)
    app.request_class = StrictRequest
    app.before_request(check_request_text)
