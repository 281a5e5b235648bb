"""Domain errors: every refusal carries a stable code, an HTTP status and a message users can act on."""

from __future__ import annotations

import redis
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

#: Seconds a client is told to wait (``Retry-After``) when the database or Redis does not answer.
RETRY_AFTER_SECONDS = 30


class DomainError(Exception):
    """A rule refused the request. Subclasses set ``code``, ``status`` and ``message``."""

    code = "error"
    status = 400
    message = _l("Permintaan tidak dapat diproses.")

    def __init__(self, message=None, *, details: dict | None = None):
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return str(self.message)

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message)}
        if self.details:
            body["errors"] = self.details
        return body


class Invalid(DomainError):
    code = "invalid"
    status = 422
    message = _l("Data yang dikirim tidak valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _l("Data tidak ditemukan.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = _l("Anda tidak memiliki akses ke halaman ini.")


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    message = _l("Silakan masuk terlebih dahulu.")


_HTTP_MESSAGES = {
    400: _l("Permintaan tidak valid."),
    401: _l("Silakan masuk terlebih dahulu."),
    403: _l("Anda tidak memiliki akses ke halaman ini."),
    404: _l("Halaman tidak ditemukan."),
    405: _l("Metode tidak diizinkan."),
    413: _l("Berkas terlalu besar."),
    429: _l("Terlalu banyak permintaan. Silakan coba lagi nanti."),
    500: _l("Terjadi kesalahan pada server. Silakan coba lagi."),
}

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 500: "server_error"}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(code: str, message, status: int, **extra):
    if wants_json():
        body = {"code": code, "message": str(message), **extra}
        return jsonify(body), status
    return render_template("core/error.html", code=code, message=message, status=status), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        extra = {"errors": exc.details} if exc.details else {}
        return error_response(exc.code, exc.message, exc.status, **extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = _HTTP_MESSAGES.get(status, exc.description)
        custom = getattr(getattr(exc, "limit", None), "error_message", None)
        if status == 429 and custom:
            message = custom() if callable(custom) else custom
        response = error_response(_HTTP_CODES.get(status, "error"), message, status)
        if status == 429 and getattr(exc, "retry_after", None):
            response[0].headers["Retry-After"] = str(exc.retry_after)
        return response


_UNAVAILABLE = {
    "database": _l("Layanan sedang tidak dapat menghubungi basis data. Tidak ada data yang diubah; silakan coba lagi "
                   "dalam beberapa saat."),
    "redis": _l("Layanan pembatas permintaan sedang tidak tersedia, sehingga permintaan ini ditolak demi keamanan. "
                "Silakan coba lagi dalam beberapa saat."),
}


def register_outage_handlers(app: Flask) -> None:
    """A database or Redis that does not answer is a 503 with ``Retry-After``, never a 500 or a half-made write.

    The request boundary rolls the request back (status >= 400); SQLAlchemy invalidates the pool on a disconnect
    error, so the next request opens fresh connections: the app reconnects without a restart. A rate limit whose
    storage is down refuses (fails closed) instead of letting the request through unlimited."""

    def unavailable(what: str, exc: Exception):
        current_app.logger.warning("%s unavailable: %s: %s", what, type(exc).__name__, str(exc).splitlines()[0:1])
        response = error_response(f"{what}_unavailable", _UNAVAILABLE[what], 503)
        response[0].headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc):
        return unavailable("database", exc)

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def _redis_down(exc):
        return unavailable("redis", exc)
