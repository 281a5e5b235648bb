"""The completion credential: issued on completion, verifiable with the published JWKS alone, revocable."""

from __future__ import annotations

import jwt as pyjwt
import pytest

from lms.core.time import now_utc
from lms.records import credentials, keys
from tests.learning import DURING, ApiParticipant, Learning, log_in
from tests.records.journey import finish_module, grant
from tests.ukppg.helpers import make_sessions

BASE = "https://lms.test"


@pytest.fixture
def done(make_app, during):
    """A teacher who completed everything, and their credential as the API returns it."""
    app = make_app(base_url=BASE)
    teacher = ApiParticipant(app, Learning(app))
    assert teacher.client.get("/api/v1/me/credential", headers=teacher.headers).status_code == 404
    finish_module(teacher, 0)
    finish_module(teacher, 1)
    body = teacher.client.get("/api/v1/me/credential", headers=teacher.headers).get_json()
    return app, teacher, body


def verify_independently(client, token: str) -> dict:
    """PyJWT and the published key set: nothing of this app's code."""
    jwks = client.get("/.well-known/jwks.json").get_json()
    kid = pyjwt.get_unverified_header(token)["kid"]
    key = next(k for k in pyjwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid)
    return pyjwt.decode(token, key=key, algorithms=["ES256"], issuer=f"{BASE}/kredensial/penerbit",
                        options={"verify_sub": False})


def test_issued_on_completion_verified_with_another_library_and_after_key_rotation(done):
    app, teacher, body = done
    claims = verify_independently(teacher.client, body["jwt"])
    vc = claims["vc"]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"] and claims["jti"] == body["id"]
    subject = vc["credentialSubject"]
    assert subject["email_masked"] == "gu****tu@guru.sd.belajar.id" and "guru.satu" not in body["jwt"]
    assert subject["achievement"]["type"] == ["Achievement"] and subject["cohort"] == "UJI-1"
    assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    # the same credential again, and the issuer profile at its stable address
    again = teacher.client.get("/api/v1/me/credential", headers=teacher.headers).get_json()
    assert again["jwt"] == body["jwt"]
    assert teacher.client.get("/kredensial/penerbit").get_json()["id"] == vc["issuer"]["id"]
    browser = log_in(app, teacher.email)
    download = browser.get("/sertifikasi/kredensial")
    assert download.status_code == 200 and download.get_data(as_text=True) == body["jwt"]
    assert "attachment" in download.headers["Content-Disposition"]
    # a key rotation keeps it verifiable: the old key stays published
    with app.app_context():
        keys.rotate(now_utc())
        assert len(keys.public_jwks()["keys"]) == 2
    verify_independently(teacher.client, body["jwt"])


def test_revocation_through_the_status_list(done):
    app, teacher, body = done
    client = teacher.client
    page = client.post("/verifikasi", data={"credential": body["jwt"]})
    assert "Kredensial sah" in page.get_data(as_text=True)
    grant(app, "admin@belajar.id", "admin_angkatan")
    admin = Learning(app).headers("admin@belajar.id")
    url = "/api/v1/cohorts/UJI-1/completions/withdraw"
    assert client.post(url, headers=teacher.headers, json={"email": teacher.email, "reason": "x" * 5}).status_code \
        == 403
    assert client.post(url, headers=admin, json={"email": "tamu@belajar.id", "reason": "salah"}).status_code == 404
    answer = client.post(url, headers=admin, json={"email": teacher.email, "reason": "koreksi admin: jurnal tidak sah"})
    assert answer.get_json() == {"email": teacher.email, "revoked": 1}
    status = client.get("/kredensial/status/1")
    assert status.mimetype == "application/vc+jwt"
    listed = verify_independently(client, status.get_data(as_text=True))["vc"]["credentialSubject"]
    index = int(pyjwt.decode(body["jwt"], options={"verify_signature": False})["vc"]["credentialStatus"]
                ["statusListIndex"])
    assert credentials.bit_is_set(listed["encodedList"], index)
    with app.app_context():
        result = credentials.verify(body["jwt"], jwks=keys.public_jwks(),
                                    status_list=credentials.status_list_jwt(DURING), now=DURING)
    assert not result.valid and result.revoked and result.problems == ["revoked"]
    page = client.post("/verifikasi", data={"credential": body["jwt"]}).get_data(as_text=True)
    assert "Kredensial tidak sah" in page and "revoked" in page
    # the completion is gone: no credential until the participant completes again
    assert client.get("/api/v1/me/credential", headers=teacher.headers).status_code == 404


def test_tampered_or_foreign_credentials_fail(done, tmp_path):
    app, teacher, body = done
    header, payload, signature = body["jwt"].split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    file = tmp_path / "kredensial.jwt"
    file.write_text(forged)
    result = app.test_cli_runner().invoke(args=["credentials", "verify", str(file)])
    assert result.exit_code == 1 and '"valid": false' in result.output
    file.write_text(body["jwt"])
    result = app.test_cli_runner().invoke(args=["credentials", "verify", str(file)])
    assert result.exit_code == 0 and '"valid": true' in result.output and "gu****tu@" in result.output
    assert "tidak sah" in teacher.client.post("/verifikasi", data={"credential": "bukan.jwt"}).get_data(as_text=True)


def test_the_printable_confirmation_carries_the_credential_as_a_qr_code(done):
    app, teacher, body = done
    [session] = make_sessions(app, ("TUK Makassar", "7371", 5))
    assert teacher.client.post("/api/v1/ukppg/registrations", headers=teacher.headers,
                               json={"session_id": session}).status_code == 201
    browser = log_in(app, teacher.email)
    page = browser.get("/sertifikasi/ukppg/konfirmasi").get_data(as_text=True)
    assert 'data-testid="credential-qr"' in page and "<svg" in page
    dashboard = browser.get("/sertifikasi/").get_data(as_text=True)
    assert 'data-testid="credential-download"' in dashboard
    result = app.test_cli_runner().invoke(args=["credentials", "revoke", "UJI-1", teacher.email, "--reason", "koreksi"])
    assert "1 credential(s) revoked" in result.output, result.output
