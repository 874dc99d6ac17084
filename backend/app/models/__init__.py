"""Every table, importable from one place (Alembic's autogenerate reads Base.metadata from here)."""

from app.models.audit import AuditEntry
from app.models.base import Base, TimestampMixin, utcnow
from app.models.idempotency import IdempotencyRecord
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

__all__ = [
    "AuditEntry",
    "Base",
    "Binding",
    "ChatUser",
    "CreditEvaluation",
    "CreditRecord",
    "Enterprise",
    "IdempotencyRecord",
    "Institution",
    "Product",
    "RegistryEntity",
    "TimestampMixin",
    "utcnow",
]
