"""The OIDC client for belajar.id (or the embedded development provider): one code path for both."""

from __future__ import annotations

from flask import Flask

from lms.extensions import oauth

CLIENT_NAME = "belajarid"


def register_client(app: Flask) -> None:
    oauth.init_app(app)
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
    return oauth._registry.get(CLIENT_NAME) and oauth.create_client(CLIENT_NAME)
