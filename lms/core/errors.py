"""Domain errors: every refusal carries a stable code, an HTTP status and a message users can act on."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


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
