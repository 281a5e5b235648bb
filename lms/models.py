"""Every domain's models, imported in one place for Alembic and the app factory."""

from lms.auth.devidp.models import DevIdpCode
from lms.auth.models import ApiToken, Identity, User, UserRole
from lms.core.audit import AuditEvent
from lms.core.heartbeat import WorkerHeartbeat

__all__ = ["ApiToken", "AuditEvent", "DevIdpCode", "Identity", "User", "UserRole", "WorkerHeartbeat"]
