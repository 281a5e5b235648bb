"""The session cookie's and the form token's signers (``lms.core.signing``, ``lms.core.flaskapp``): made once, keys
derived once, and the same signatures, payloads and refusals as Flask's and itsdangerous's own."""

from __future__ import annotations

import pytest
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer
from markupsafe import Markup

from lms.core.flaskapp import App, SessionJSON
from lms.core.signing import KeptSigner, KeptSignerSerializer


def _apps_serializers(secret="kunci", fallbacks=()):
    app = App(__name__)
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    return app.session_interface.get_signing_serializer(app), SecureCookieSessionInterface().get_signing_serializer(app)


def test_the_session_cookie_is_signed_and_read_as_flask_does(clock):
    ours, flasks = _apps_serializers()
    assert isinstance(ours, KeptSignerSerializer)
    value = {"_user_id": "7", "lms_sid": "rahasia", "csrf_token": "ab" * 20, "_fresh": True}
    assert ours.dumps(value) == flasks.dumps(value)
    assert ours.loads(flasks.dumps(value)) == value == flasks.loads(ours.dumps(value))
    signed = ours.dumps(value)
    with pytest.raises(BadSignature):
        ours.loads(signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"))
    other, _ = _apps_serializers("kunci-lain")
    with pytest.raises(BadSignature):
        other.loads(signed)
    clock[0] += 10
    with pytest.raises(BadSignature):  # expired (SignatureExpired is a BadSignature)
        ours.loads(signed, max_age=5)
    assert ours.loads(signed, max_age=20) == value


def test_a_rotated_key_still_reads_cookies_signed_with_the_old_one(clock):
    old, _ = _apps_serializers("kunci-lama")
    signed = old.dumps({"n": 1})
    rotated, flasks = _apps_serializers("kunci-baru", ["kunci-lama"])
    assert rotated.loads(signed) == {"n": 1} == flasks.loads(signed)
    assert rotated.dumps({"n": 2}) == flasks.dumps({"n": 2}) != old.dumps({"n": 2})


def test_the_signer_is_made_once_and_derives_each_key_once(monkeypatch):
    derived = []
    real = Signer.derive_key
    monkeypatch.setattr(Signer, "derive_key", lambda self, key=None: derived.append(key) or real(self, key))
    serializer = KeptSignerSerializer(["lama", "baru"], salt="cookie-session",
                                      signer_kwargs={"key_derivation": "hmac"})
    signed = [serializer.dumps({"n": n}) for n in range(3)]
    assert [serializer.loads(s) for s in signed] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert serializer.make_signer() is serializer.make_signer()
    assert isinstance(serializer.make_signer(), KeptSigner)
    assert len(derived) == 1  # the newest key signs and checks: derived once for all six uses
    assert serializer.make_signer("garam-lain") is not serializer.make_signer()


def test_other_digests_and_derivations_sign_as_itsdangerous_does():
    import hashlib

    for kwargs in ({}, {"key_derivation": "concat"}, {"digest_method": hashlib.sha256},
                   {"key_derivation": "hmac", "digest_method": hashlib.sha512}):
        ours = KeptSignerSerializer("kunci", salt="garam", signer_kwargs=dict(kwargs))
        theirs = URLSafeTimedSerializer("kunci", salt="garam", signer_kwargs=dict(kwargs))
        signed = theirs.dumps([1, "dua"])
        assert ours.loads(signed) == [1, "dua"]
        assert theirs.loads(ours.dumps({"x": 1})) == {"x": 1}


@pytest.mark.parametrize("value", [
    {"a": "b", "n": 1, "ok": True},  # flat: the short way
    {" t": "not a tag with other keys", "x": 1},
    {"lang": "en"},  # one key: scanned
    {"t": (1, 2), "m": Markup("<b>"), "b": b"\x00\xff", "d": {" t": "x"}, "l": [{"u": (3,)}]},
    ["a", {"b": (1,)}],
    "teks",
])
def test_the_session_payload_loads_as_flasks_does(value):
    flasks = TaggedJSONSerializer()
    text = flasks.dumps(value)
    assert SessionJSON().loads(text) == flasks.loads(text)
    assert type(SessionJSON().loads(text)) is type(flasks.loads(text))

def _outcome(serializer, value, **kwargs):
    try:
        return ("ok", serializer.loads(value, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the class and message are what is compared
        return (type(exc).__name__, str(exc))


def test_every_value_reads_or_fails_as_itsdangerous_reads_it(clock):
    """The session's serializer (signer made once, keys derived once, OpenSSL's HMAC) reads or refuses every value
    as itsdangerous's own does: the result, or the exception and its message, are the same for each."""
    import zlib

    from itsdangerous.encoding import base64_encode

    ours, flasks = _apps_serializers("kunci-baru", ["kunci-lama"])
    old, _ = _apps_serializers("kunci-lama")
    stranger, _ = _apps_serializers("kunci-orang-lain")
    signer = flasks.make_signer()
    big = {"teks": "x" * 400}  # compressible: written with a leading "." and zlib
    good = flasks.dumps({"_user_id": "7", "lms_sid": "rahasia"})
    payload, stamp, sig = good.split(".")
    samples = [
        good, ours.dumps({"a": [1, {"b": (2,)}]}), old.dumps({"n": 1}), flasks.dumps(big), stranger.dumps({"n": 1}),
        good[:-1] + ("A" if good[-1] != "A" else "B"), good.replace(".", "", 1), payload, "", "...", "a.b.c",
        good + "x", "é" + good, f"{payload}.{stamp}.{sig}!!", f"{payload}..{sig}",
        signer.sign(base64_encode(zlib.compress(b"not json"))).decode(),  # no timestamp separator for the payload
        signer.sign(b"e30." + base64_encode(b"\x01" * 9)).decode(),  # a timestamp of nine bytes
        signer.sign(b"e30." + base64_encode((2**62).to_bytes(8, "big"))).decode(),  # out of datetime's range
        signer.sign(b"bm90IGpzb24." + stamp.encode()).decode(),  # "not json"
        signer.sign(b"_w." + stamp.encode()).decode(),  # not UTF-8
        signer.sign(b".eJzLSM3JyQcABiwCFQ." + stamp.encode()).decode(),  # compressed: "hello" isn't JSON
        signer.sign(b".AAAA." + stamp.encode()).decode(),  # marked compressed, not zlib
        good.encode(),
    ]
    for value in samples:
        for kwargs in ({}, {"max_age": 5}, {"max_age": 0}, {"return_timestamp": True}, {"salt": "cookie-session"}):
            assert _outcome(ours, value, **kwargs) == _outcome(flasks, value, **kwargs), (value, kwargs)
    clock[0] += 10
    for kwargs in ({"max_age": 5}, {"max_age": 10}, {"max_age": 11}):
        assert _outcome(ours, good, **kwargs) == _outcome(flasks, good, **kwargs), kwargs
    clock[0] -= 20  # signed in the future
    assert _outcome(ours, good, max_age=100) == _outcome(flasks, good, max_age=100)
    assert _outcome(ours, good, max_age=100)[0] == "SignatureExpired"

