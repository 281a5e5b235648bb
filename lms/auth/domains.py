"""Which e-mail addresses may enter: verified, and of an allowed domain or one of its subdomains."""

from __future__ import annotations

from collections.abc import Iterable


def normalize_domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".")


def domain_allowed(domain: str | None, allowed: Iterable[str]) -> bool:
    """True for ``belajar.id`` and ``guru.sd.belajar.id``; false for ``belajar.id.example.com`` or ``xbelajar.id``."""
    if not domain:
        return False
    domain = normalize_domain(domain)
    if not domain.isascii() or not domain or ".." in domain:
        return False
    return any(domain == a or domain.endswith("." + a) for a in map(normalize_domain, allowed))


def email_domain(email: str) -> str | None:
    local, sep, domain = email.strip().rpartition("@")
    if not sep or not local or "@" in local or not domain:
        return None
    return normalize_domain(domain)


def email_allowed(email: str, allowed: Iterable[str]) -> bool:
    return domain_allowed(email_domain(email), allowed)
