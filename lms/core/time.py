"""The one clock. Services take ``now`` as an argument; callers get it here. Tests freeze it.

Processes under test (workers, beat, web) can follow a clock file instead (``LMS_CLOCK_FILE``, refused in
production): it holds an ISO-8601 instant, and a test moves the whole cluster's time by rewriting it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

_frozen: datetime | None = None
_clock_file: str | None = None
_clock_cache: tuple[int, datetime] | None = None


def now_utc() -> datetime:
    if _frozen is not None:
        return _frozen
    if _clock_file is not None:
        return _from_clock_file() or datetime.now(UTC)
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Freeze the clock at ``at`` (aware), or release it with ``None``. For tests and `--now` options."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC) if at is not None else None


def use_clock_file(path: str | None) -> None:
    """Read the time from ``path`` (an ISO-8601 instant) while it exists; ``None`` returns to the real clock."""
    global _clock_file, _clock_cache
    _clock_file, _clock_cache = path, None


def _from_clock_file() -> datetime | None:
    global _clock_cache
    try:
        stamp = os.stat(_clock_file).st_mtime_ns
        if _clock_cache is None or _clock_cache[0] != stamp:
            with open(_clock_file) as handle:
                at = datetime.fromisoformat(handle.read().strip())
            _clock_cache = (stamp, at if at.tzinfo else at.replace(tzinfo=UTC))
    except (OSError, ValueError):
        return None
    return _clock_cache[1].astimezone(UTC)
