import pytest

from lms.auth.domains import domain_allowed, email_allowed

ALLOWED = ("belajar.id",)


@pytest.mark.parametrize("email,ok", [
    ("guru@belajar.id", True),
    ("guru@guru.sd.belajar.id", True),
    ("GURU@GURU.SD.BELAJAR.ID", True),
    ("guru@belajar.id.", True),
    ("guru@belajar.id.example.com", False),
    ("guru@xbelajar.id", False),
    ("guru@belajar-id.com", False),
    ("guru@gmail.com", False),
    ("guru@sub..belajar.id", False),
    ("guru@bеlajar.id", False),  # Cyrillic "е": a homoglyph
    ("belajar.id", False),
    ("@belajar.id", False),
    ("a@b@belajar.id", False),
    ("", False),
])
def test_email_domains(email, ok):
    assert email_allowed(email, ALLOWED) is ok


def test_configured_domains():
    assert domain_allowed("madrasah.id", ("belajar.id", "madrasah.id"))
    assert not domain_allowed(None, ALLOWED)
