"""The OIDC client for belajar.id (or the embedded development provider): one code path for both.

Authlib's ``OAuth`` registry caches its clients, so each app gets its own registry (in ``app.extensions``)
rather than sharing a module-level one across apps.
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

CLIENT_NAME = "belajarid"
EXTENSION_KEY = "lms_oauth"


def register_client(app: Flask) -> None:
    oauth = OAuth(app)
    app.extensions[EXTENSION_KEY] = oauth
    issuer = app.config["OIDC_ISSUER"]
    if not issuer:
        return
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "timeout": 10},
    )


def client():
    """The registered client, or None when no provider is configured."""
    return current_app.extensions[EXTENSION_KEY].create_client(CLIENT_NAME)
