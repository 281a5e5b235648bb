"""The development provider as an OIDC provider in its own right: a hand-written client talks to it."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth.flow import csrf_token


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def provider(live_server):
    return requests.get(f"{live_server.url}/dev-idp/.well-known/openid-configuration", timeout=10).json()


def authorize(live_server, s, *, challenge, nonce="n-123", redirect=None, follow=True, **extra):
    config = live_server.app.config
    params = {"response_type": "code", "client_id": config["OIDC_CLIENT_ID"], "scope": "openid email profile",
              "redirect_uri": redirect or f"{live_server.url}/auth/callback", "state": "st-1", "nonce": nonce,
              "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    params = {k: v for k, v in params.items() if v is not None}
    return s.get(provider(live_server)["authorization_endpoint"], params=params, timeout=10, allow_redirects=follow)


def get_code(live_server, challenge):
    s = requests.Session()
    page = authorize(live_server, s, challenge=challenge)
    assert page.status_code == 200, page.text
    action = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    response = s.post(live_server.url + action, data={"csrf_token": csrf_token(page.text), "account": "dev-guru-0001"},
                      allow_redirects=False, timeout=10)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def exchange(live_server, code, verifier):
    config = live_server.app.config
    return requests.post(provider(live_server)["token_endpoint"], timeout=10,
                         auth=(config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"]),
                         data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                               "redirect_uri": f"{live_server.url}/auth/callback"})


def test_discovery_document(live_server):
    doc = provider(live_server)
    assert doc["issuer"] == f"{live_server.url}/dev-idp"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_id_token_is_rs256_signed_with_the_published_key_and_the_code_works_once(live_server):
    verifier, challenge = pkce_pair()
    code = get_code(live_server, challenge)
    response = exchange(live_server, code, verifier)
    assert response.status_code == 200, response.text
    id_token = response.json()["id_token"]
    keys = KeySet.import_key_set(requests.get(provider(live_server)["jwks_uri"], timeout=10).json())
    assert all("d" not in k for k in keys.as_dict()["keys"])  # no private parts published
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256" and token.header["kid"]
    claims = token.claims
    assert claims["iss"] == f"{live_server.url}/dev-idp"
    assert claims["aud"] == [live_server.app.config["OIDC_CLIENT_ID"]]
    assert claims["nonce"] == "n-123" and claims["sub"] == "dev-guru-0001"
    assert claims["email"] == "guru.demo@guru.sd.belajar.id" and claims["email_verified"] is True
    assert claims["hd"] == "belajar.id"
    # Replaying the code fails.
    replay = exchange(live_server, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_wrong_code_verifier_is_refused_and_uses_up_the_code(live_server):
    verifier, challenge = pkce_pair()
    code = get_code(live_server, challenge)
    other_verifier, _ = pkce_pair()
    response = exchange(live_server, code, other_verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # The failed exchange consumed the code: the right verifier does not get it back.
    retry = exchange(live_server, code, verifier)
    assert retry.status_code == 400 and retry.json()["error"] == "invalid_grant"


def test_pkce_and_nonce_are_required(live_server):
    s = requests.Session()
    no_pkce = authorize(live_server, s, challenge=None, code_challenge_method=None, follow=False)
    assert no_pkce.status_code == 302  # the error goes back to the client's redirect URI
    assert parse_qs(urlsplit(no_pkce.headers["Location"]).query)["error"] == ["invalid_request"]
    no_nonce = authorize(live_server, s, challenge=pkce_pair()[1], nonce=None)
    assert "error" in (no_nonce.headers.get("Location", "") + no_nonce.text)
    assert "Pilih akun" not in no_nonce.text


def test_foreign_redirect_uri_is_refused(live_server):
    s = requests.Session()
    page = authorize(live_server, s, challenge=pkce_pair()[1], redirect="https://evil.example.com/steal")
    assert page.status_code == 400 and "Pilih akun" not in page.text


def test_wrong_client_secret_is_refused(live_server):
    verifier, challenge = pkce_pair()
    code = get_code(live_server, challenge)
    response = requests.post(provider(live_server)["token_endpoint"], timeout=10, auth=("lms-dev", "wrong"),
                             data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                   "redirect_uri": f"{live_server.url}/auth/callback"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
