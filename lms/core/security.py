"""Security headers for every response."""

from __future__ import annotations

from flask import Flask

CSP = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self' http: https:",
])

_ALWAYS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_PRODUCTION = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
#: Pages carry personal data: never keep them in shared caches.
_HTML = (("Cache-Control", "no-store"),)


class SecurityHeaders:
    """WSGI middleware: each security header unless the app set its own, added to the WSGI header list in one
    pass (plain tuples, already valid: no per-header checks of a ``Headers`` object on every response)."""

    def __init__(self, wsgi_app, always: tuple[tuple[str, str], ...], html: tuple[tuple[str, str], ...]) -> None:
        self.wsgi_app = wsgi_app
        self.always = [(name.lower(), (name, value)) for name, value in always]
        self.html = [(name.lower(), (name, value)) for name, value in html]

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            extra = self.always
            if "content-type" in present:
                content_type = next(value for name, value in headers if name.lower() == "content-type")
                if content_type.partition(";")[0].strip().lower() == "text/html":
                    extra = self.html
            headers.extend(header for lowered, header in extra if lowered not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def register_security_headers(app: Flask) -> None:
    always = _ALWAYS + (_PRODUCTION if app.config["PRODUCTION"] else ())
    app.wsgi_app = SecurityHeaders(app.wsgi_app, always, always + _HTML)
