"""Where a login may send the browser back to: only a path on this app."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

#: Longer targets are not pages of this app.
MAX_NEXT_LENGTH = 2000


def _unsafe(text: str) -> bool:
    return (not text.startswith("/") or text.startswith(("//", "/\\")) or "\\" in text
            or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text))


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this app, else None (the caller falls back to its landing page).

    Browsers drop tabs and newlines and read ``\\`` as ``/``, so ``/\\t/evil`` or ``/\\evil`` would leave the
    app; the target is checked as given and once more percent-decoded, so encoded forms are refused too.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    decoded = unquote(target)
    if _unsafe(target) or _unsafe(decoded):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
