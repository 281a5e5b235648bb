"""Security headers for every response."""

from __future__ import annotations

from flask import Flask, Response

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


def register_security_headers(app: Flask) -> None:
    always = _ALWAYS + (_PRODUCTION if app.config["PRODUCTION"] else ())
    html = always + _HTML

    @app.after_request
    def _headers(response: Response) -> Response:
        """Each header unless the view set its own: one pass over the response's headers, not one per header."""
        headers = response.headers
        present = {key.lower() for key, _ in headers.items()}
        for name, value in html if response.mimetype == "text/html" else always:
            if name.lower() not in present:
                headers.add(name, value)
        return response
