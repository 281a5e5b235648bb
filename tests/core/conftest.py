"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest
from itsdangerous import TimestampSigner

#: Where ``clock`` starts: the signer's time, in whole seconds.
SIGNER_T0 = 1_790_000_000


@pytest.fixture
def clock(monkeypatch):
    """The signer's clock (signing and checking a token's or a cookie's age), in whole seconds, from ``SIGNER_T0``;
    set ``clock[0]`` to move it."""
    now = [SIGNER_T0]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now[0])
    return now
