"""Request parsing for declared operations: webargs' parser, with the app's JSON rules and its error shape.

A validation failure is raised as ``Invalid`` (422 ``{"code": "invalid", "message", "errors": {field: message}}``),
so that the app's error handler renders it like every other refusal. Marshmallow's English messages are
translated here, at request time, into the request's language (Indonesian unless ``Accept-Language: en``).
Field paths are flattened with dots (``answers.12``); a body that is not an object is reported under ``body``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from lms.core.errors import Invalid


def _translations() -> list[tuple[re.Pattern, callable]]:
    """(marshmallow's message, its translation) pairs; the translation takes the message's values."""
    pairs = [
        (r"Missing data for required field\.", lambda: _("Wajib diisi.")),
        (r"Field may not be null\.", lambda: _("Tidak boleh kosong (null).")),
        (r"Unknown field\.", lambda: _("Kolom tidak dikenal.")),
        (r"Invalid input type\.|Not a valid mapping type\.", lambda: _("Harus berupa objek JSON.")),
        (r"Not a valid list\.", lambda: _("Harus berupa daftar (array).")),
        (r"Not a valid string\.|Not a valid utf-8 string\.", lambda: _("Harus berupa teks.")),
        (r"Not a valid integer\.", lambda: _("Harus berupa bilangan bulat.")),
        (r"Not a valid number\.", lambda: _("Harus berupa angka.")),
        (r"Number too large\.", lambda: _("Angka terlalu besar.")),
        (r"Special numeric values \(nan or infinity\) are not permitted\.",
         lambda: _("Angka tidak terhingga atau NaN tidak diterima.")),
        (r"Not a valid boolean\.", lambda: _("Harus berupa true atau false.")),
        (r"Not a valid date\.", lambda: _("Harus berupa tanggal (YYYY-MM-DD).")),
        (r"Not a valid datetime\.", lambda: _("Harus berupa tanggal dan waktu ISO 8601.")),
        (r"Not a valid email address\.", lambda: _("Alamat e-mail tidak valid.")),
        (r"Shorter than minimum length (?P<min>\d+)\.", lambda min: _("Minimal %(min)s karakter.", min=min)),
        (r"Longer than maximum length (?P<max>\d+)\.", lambda max: _("Maksimal %(max)s karakter.", max=max)),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
         lambda min, max: _("Panjang harus %(min)s sampai %(max)s.", min=min, max=max)),
        (r"Length must be (?P<equal>\d+)\.", lambda equal: _("Panjang harus tepat %(equal)s.", equal=equal)),
        (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
         lambda min, max: _("Harus antara %(min)s dan %(max)s.", min=min, max=max)),
        (r"Must be greater than or equal to (?P<min>\S+)\.", lambda min: _("Minimal %(min)s.", min=min)),
        (r"Must be less than or equal to (?P<max>\S+)\.", lambda max: _("Maksimal %(max)s.", max=max)),
        (r"Must be one of: (?P<choices>.*)\.", lambda choices: _("Harus salah satu dari: %(choices)s.",
                                                                  choices=choices)),
        (r"Invalid value\.|Invalid input\.", lambda: _("Nilai tidak valid.")),
    ]
    return [(re.compile(pattern + r"\Z"), make) for pattern, make in pairs]


_PATTERNS = _translations()
_LOCATION_KEYS = {"json": "body", "query": "query", "querystring": "query", "view_args": "path", "form": "form"}


def translate(message) -> str:
    text = str(message)
    for pattern, make in _PATTERNS:
        match = pattern.match(text)
        if match:
            return make(**match.groupdict())
    return text  # the project's own messages are already translated (lazy strings)


def flatten(messages: Mapping) -> dict[str, str]:
    """webargs' nested ``{location: {field: [msg]}}`` as ``{"field.sub": "msg"}``; the location itself (``body``,
    ``query``, ``path``) names an error of the whole part."""
    out: dict[str, str] = {}
    for location, node in messages.items():
        _walk(node, "", _LOCATION_KEYS.get(location, str(location)), out)
    return out


def _walk(node, path: str, root: str, out: dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "_schema" or (key in ("key", "value") and path):  # the whole part, a Dict entry
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            _walk(value, child, root, out)
    elif isinstance(node, list | tuple):
        for item in node:
            _walk(item, path, root, out)
    else:
        name = path or root
        text = translate(node)
        out[name] = f"{out[name]} {text}" if name in out else text


class ApiParser(FlaskParser):
    """webargs' Flask parser, reading JSON through the app's strict JSON provider and refusing with ``Invalid``.

    Unknown fields: a JSON body with a field the operation does not declare is refused (422 ``Kolom tidak
    dikenal``), so that a typo never silently does nothing. Query strings ignore unknown parameters, because caches
    and browser scripts add their own (cache busters).

    A schema of a hot operation may offer ``load_plain(data)``: what ``load`` returns for the input it finds plainly
    valid, or None to let ``load`` decide. The location's data is read as always (the JSON provider's checks
    included); ``load`` still decides, with its own messages, everything the shortcut does not accept, so the
    answers and the refusals stay those of the schema, which also declares the operation in the OpenAPI document.
    """

    def parse(self, argmap, req=None, *, location=None, unknown=core._UNKNOWN_DEFAULT_PARAM, validate=None,
              **kwargs):
        plain = getattr(argmap, "load_plain", None) if isinstance(argmap, Schema) else None
        if plain is not None and validate is None and unknown is core._UNKNOWN_DEFAULT_PARAM:
            request = req if req is not None else self.get_default_request()
            try:
                data = self._load_location_data(schema=argmap, req=request, location=location or self.location)
            except ValidationError:
                data = None  # read again below, refused as webargs refuses it
            loaded = plain(data) if data is not None else None
            if loaded is not None:
                return loaded
        return super().parse(argmap, req, location=location, unknown=unknown, validate=validate, **kwargs)

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "json": RAISE, "query": EXCLUDE,
                                   "querystring": EXCLUDE}

    def _raw_load_json(self, req: Request):
        if not is_json_request(req):
            return core.missing
        return req.get_json()  # StrictJSONProvider + StrictRequest: 422 for anything that is not a clean object

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise Invalid(details=flatten(error.normalized_messages()))
