"""Fixtures shared by the journal tests."""

from __future__ import annotations

import pytest

from tests.journal.test_journal import Participant


@pytest.fixture
def participant(app, learning, during):
    return Participant(app, learning, prompts=2)


@pytest.fixture
def ready(participant):
    """Module 1: materi and post-test done, so its journal is open."""
    participant.finish_materi()
    participant.take_posttest()
    return participant
