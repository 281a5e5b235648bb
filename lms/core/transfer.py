"""What goes over the wire: compressed responses, and static files under content-hashed URLs cached for a year.

Compression (Flask-Compress): HTML, JSON, CSV, CSS and JavaScript of at least ``COMPRESS_MIN_SIZE`` bytes, as
Brotli or gzip when the client's ``Accept-Encoding`` allows it; every response says ``Vary: Accept-Encoding``.
Responses of other types (images, file downloads) and responses that already carry a ``Content-Encoding`` are left
alone, and headers set elsewhere (security headers, ``Clear-Site-Data``) are kept as they are.

Static files: ``url_for('static', filename=...)`` adds ``?v=<hash of the file's content>``, computed once per file
and process (re-read when the file changes only in debug mode). A request whose ``v`` matches the file's current
hash is answered with ``Cache-Control: public, max-age=31536000, immutable``: a changed file gets a new URL, so the
old one may be kept forever. Any other request for a static file (no ``v``, or a stale one) gets a short max-age.

The static files are few and small (the folder is under 100 KB), so each is served from the bytes read once for
its hash: no file handle is held by a response, whether the client reads it to the end or goes away halfway.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from flask_compress import Compress

from lms.core.templating import STABLE_URL_DEFAULTS

COMPRESS_MIMETYPES = ["text/html", "application/json", "text/csv", "text/css", "application/javascript",
                      "text/javascript"]
#: One year: the longest lifetime caches honour. Only for a URL whose hash matches the content served.
IMMUTABLE = "public, max-age=31536000, immutable"
#: For static URLs without (or with a stale) hash: browsers revalidate soon.
SHORT = "public, max-age=300"
VERSION_ARG = "v"

compress = Compress()


def content_hash(data: bytes) -> str:
    """The version of a static file's content, as it appears in its URL."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class StaticFile:
    data: bytes
    version: str
    mtime_ns: int


class StaticHashes:
    """The files of one static folder with their content hashes, each read once (or again when the file changes,
    with ``reload``)."""

    def __init__(self, folder: str | Path, *, reload: bool = False) -> None:
        self.folder = Path(folder).resolve()
        self.reload = reload
        self._known: dict[str, StaticFile] = {}
        self._lock = threading.Lock()

    def file(self, filename: str) -> StaticFile | None:
        """``filename`` (relative to the folder) with its hash, or None for a file that is not there."""
        known = self._known.get(filename)
        if known is not None and not self.reload:
            return known
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        mtime = path.stat().st_mtime_ns
        if known is not None and known.mtime_ns == mtime:
            return known
        data = path.read_bytes()
        found = StaticFile(data, content_hash(data), mtime)
        with self._lock:
            self._known[filename] = found
        return found

    def version(self, filename: str) -> str | None:
        """The hash of ``filename`` (relative to the folder), or None for a file that is not there."""
        found = self.file(filename)
        return found.version if found else None


def init_transfer(app: Flask) -> None:
    """Compression and hashed static URLs for ``app`` (settings may be overridden in the app's config first)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Brotli first when a client accepts both. Quality 1 on every response: on the dashboard's 7.9 KB page quality
    # 4 cost 0.28-0.41 ms of CPU (a fifth of the whole request) for 1,526 bytes, quality 1 0.06-0.10 ms for 1,841
    # bytes (gzip 6: 0.23 ms, 1,650 bytes): a few hundred bytes more on the wire for a quarter of the CPU.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 1)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    compress.init_app(app)
    if app.static_folder:
        _hash_static_urls(app, StaticHashes(app.static_folder, reload=app.debug))


def _hash_static_urls(app: Flask, hashes: StaticHashes) -> None:
    app.extensions["lms_static_hashes"] = hashes

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and VERSION_ARG not in values and "filename" in values:
            version = hashes.version(values["filename"])
            if version:
                values[VERSION_ARG] = version

    # The hash of a file is read once, so URLs built with it may be kept (lms/core/templating.py); not in debug mode.
    setattr(_static_version, STABLE_URL_DEFAULTS, not hashes.reload)

    def serve_static(filename: str) -> Response:
        found = hashes.file(filename)
        if found is None:
            abort(404)
        response = Response(found.data, mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream")
        response.set_etag(found.version)
        response.last_modified = found.mtime_ns / 1e9
        return response.make_conditional(request)

    app.view_functions["static"] = serve_static

    @app.after_request
    def _static_cache(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 206, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        wanted = request.args.get(VERSION_ARG)
        fresh = wanted is not None and wanted == hashes.version(filename)
        response.headers["Cache-Control"] = IMMUTABLE if fresh else SHORT
        response.headers.pop("Expires", None)
        return response
