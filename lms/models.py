"""Every domain's models, imported in one place for Alembic and the app factory."""

from lms.access.models import NikLookup
from lms.auth.devidp.models import DevIdpCode
from lms.auth.models import ApiToken, FormStash, Identity, User, UserRole, UserSession
from lms.cohorts.models import Cohort, Enrollment, Extension, Reminder
from lms.cohorts.roster_models import RosterEntry, RosterImport, RosterImportRow
from lms.core.audit import AuditEvent
from lms.core.heartbeat import WorkerHeartbeat
from lms.core.idempotency import IdempotencyKey
from lms.curriculum.models import Curriculum, Materi, Module
from lms.helpdesk.models import Ticket, TicketMessage
from lms.journal.models import JournalEntry, Prompt
from lms.modules.models import MateriProgress
from lms.notifications.models import OutboxMessage
from lms.posttest.models import Attempt, Option, Question
from lms.progress.models import ProgressSummary
from lms.records.models import CalendarToken, Credential, XapiStatement
from lms.selection.models import DinasRegion, RemovalProposal, SelectionEntry, SelectionQuota, SelectionRun
from lms.ukppg.models import ExamSession, ExamSite, Registration

__all__ = ["ApiToken", "Attempt", "AuditEvent", "Cohort", "Curriculum", "DevIdpCode", "DinasRegion", "Enrollment",
           "ExamSession", "ExamSite", "Extension", "FormStash", "IdempotencyKey", "Identity", "JournalEntry", "Materi",
           "MateriProgress", "Module", "NikLookup", "Option", "OutboxMessage", "ProgressSummary", "Prompt", "Question",
           "Registration",
           "Reminder", "RemovalProposal", "RosterEntry", "RosterImport", "RosterImportRow", "SelectionEntry",
           "SelectionQuota", "SelectionRun", "Ticket", "TicketMessage", "User", "UserRole", "UserSession",
           "WorkerHeartbeat", "CalendarToken", "Credential", "XapiStatement"]
