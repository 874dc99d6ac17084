"""Every table, importable from one place (Alembic's autogenerate reads Base.metadata from here)."""

from app.models.applications import Application, ApplicationNumberCounter, ApplicationStatusChange
from app.models.audit import AuditEntry
from app.models.authorization import Authorization, InstitutionCredential
from app.models.base import Base, TimestampMixin, utcnow
from app.models.evidence import EvidenceFile
from app.models.idempotency import IdempotencyRecord
from app.models.identity import (
    Event,
    Registration,
    SmsCode,
    SmsOutboxMessage,
    StaffSession,
    StaffUser,
)
from app.models.registry import (
    Binding,
    ChatUser,
    CreditEvaluation,
    CreditRecord,
    Enterprise,
    Institution,
    Product,
    RegistryEntity,
)
from app.models.tickets import (
    Notification,
    ObjectionReason,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketSequence,
    TicketStatus,
)

__all__ = [
    "Application",
    "ApplicationNumberCounter",
    "ApplicationStatusChange",
    "AuditEntry",
    "Authorization",
    "Base",
    "Binding",
    "ChatUser",
    "CreditEvaluation",
    "CreditRecord",
    "Enterprise",
    "Event",
    "EvidenceFile",
    "IdempotencyRecord",
    "Institution",
    "InstitutionCredential",
    "Notification",
    "ObjectionReason",
    "Product",
    "Registration",
    "RegistryEntity",
    "SmsCode",
    "SmsOutboxMessage",
    "StaffSession",
    "StaffUser",
    "Ticket",
    "TicketEvent",
    "TicketKind",
    "TicketSequence",
    "TicketStatus",
    "TimestampMixin",
    "utcnow",
]
