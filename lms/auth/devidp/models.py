"""Authorization codes issued by the development provider."""

from __future__ import annotations

from datetime import datetime

from authlib.oidc.core import AuthorizationCodeMixin as OIDCCodeMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.extensions import db


class DevIdpCode(OIDCCodeMixin, db.Model):
    __tablename__ = "dev_idp_codes"

    code: Mapped[str] = mapped_column(String(120), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(120))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(200))
    nonce: Mapped[str | None] = mapped_column(String(200), index=True)
    code_challenge: Mapped[str | None] = mapped_column(String(200))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    #: The ``sub`` of the chosen development account.
    subject: Mapped[str] = mapped_column(String(120))
    auth_time: Mapped[int] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set when the code is exchanged; a code is good for one exchange only.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None
