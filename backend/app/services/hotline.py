"""What hotline staff look up during a call: a ticket by its number, an enterprise by its USCC,
and the queue of objections waiting to be forwarded to the provincial node.

Every look-up writes an audit row (who = the staff account, what = the ticket or enterprise, why =
the stated purpose, when) in the same transaction as the read, and commits it before the reply is
built: 来源可溯、去向可查. A refused look-up (bad input, nothing found) reads nothing and writes
nothing.

The service desk is the platform's own party in authorizations (app.enums.SERVICE_DESK_CODE): an
enterprise's non-public categories are shown only while one of its live authorizations names the
service desk itself; "all institutions" does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.enums import SERVICE_DESK_CODE, DataCategory
from app.errors import AppError
from app.models import CreditEvaluation, Ticket, TicketKind
from app.models.tickets import TicketStatus
from app.services._clock import as_utc
from app.services.audit import Actor, record_access
from app.services.authorizations import live_authorizations
from app.services.credit import latest_evaluation
from app.services.institution_view import InstitutionView, build_view, find_entity
from app.services.tickets import allowed_next, get_ticket_by_number
from app.services.working_days import china_date

DEFAULT_PURPOSE = "热线来电咨询"
QUEUE_LIMIT = 500


def check_purpose(purpose: str | None) -> str:
    purpose = (purpose or DEFAULT_PURPOSE).strip()
    if not 2 <= len(purpose) <= 100 or not purpose.isprintable():
        raise AppError(
            "purpose_invalid",
            "请用2至100字说明查询目的，如“热线来电咨询”，它会记入审计日志。",
            422,
            fields=["purpose"],
        )
    return purpose


def is_overdue(ticket: Ticket, today: date) -> bool:
    """An objection still 已提交 after its forwarding deadline day (forwarding on the day itself
    is in time)."""
    return (
        ticket.kind == TicketKind.OBJECTION.value
        and ticket.status == TicketStatus.SUBMITTED.value
        and ticket.forward_deadline is not None
        and today > ticket.forward_deadline
    )


# ---------------------------------------------------------------------------- look-ups


def lookup_ticket(
    session: Session, staff_username: str, number: str, purpose: str | None, *, now: datetime
) -> Ticket:
    """The ticket (any kind, any user's), audited. Commits."""
    purpose = check_purpose(purpose)
    ticket = get_ticket_by_number(session, number)
    record_access(
        session,
        Actor.staff(staff_username),
        action="staff_ticket_lookup",
        subject_type="ticket",
        subject_id=ticket.number,
        purpose=purpose,
        details={"kind": ticket.kind, "status": ticket.status},
    )
    session.commit()
    return ticket


# The evaluation's reasons are sentences (app.services.evaluation) and some of them repeat
# non-public facts ("最近一期纳税信用等级为A级", "社保欠缴记录1条"). A reason naming one of these is
# shown only when the service desk may see every category it names.
_REASON_CATEGORIES: tuple[tuple[str, frozenset[DataCategory]], ...] = (
    ("纳税", frozenset({DataCategory.TAX})),
    ("社保", frozenset({DataCategory.SOCIAL_INSURANCE})),
    ("公积金", frozenset({DataCategory.HOUSING_FUND})),
    ("水电气", frozenset({DataCategory.UTILITIES})),
    ("不动产", frozenset({DataCategory.REAL_ESTATE})),
    ("进出口", frozenset({DataCategory.IMPORT_EXPORT})),
    ("知识产权", frozenset({DataCategory.INTELLECTUAL_PROPERTY})),
    ("科技研发", frozenset({DataCategory.RESEARCH})),
    # "无……欠缴等不良记录" says there are no arrears of any kind.
    (
        "欠缴",
        frozenset(
            {DataCategory.SOCIAL_INSURANCE, DataCategory.HOUSING_FUND, DataCategory.UTILITIES}
        ),
    ),
)


def visible_reasons(reasons: list[str], authorized: list[DataCategory]) -> tuple[list[str], int]:
    """The reasons the service desk may read, and how many were withheld."""
    allowed = set(authorized)
    shown = [
        reason
        for reason in reasons
        if all(categories <= allowed for word, categories in _REASON_CATEGORIES if word in reason)
    ]
    return shown, len(reasons) - len(shown)


@dataclass(frozen=True)
class StaffEnterpriseView:
    view: InstitutionView
    evaluation: CreditEvaluation | None
    reasons: list[str]
    reasons_withheld: int


def lookup_enterprise(
    session: Session, staff_username: str, uscc: str, purpose: str | None, *, now: datetime
) -> StaffEnterpriseView:
    """Public data always; non-public categories where a live authorization names the service
    desk. Audited (with the categories shown and the authorizations that allowed them). Commits."""
    purpose = check_purpose(purpose)
    entity, enterprise = find_entity(session, uscc)
    now = as_utc(now)
    authorizations = (
        live_authorizations(session, enterprise.id, SERVICE_DESK_CODE, now=now)
        if enterprise is not None
        else []
    )
    view = build_view(session, entity, enterprise, authorizations, now=now)
    record_access(
        session,
        Actor.staff(staff_username),
        action="staff_enterprise_lookup",
        subject_type="enterprise",
        subject_id=entity.uscc,
        purpose=purpose,
        details={
            "non_public_categories": [c.value for c in view.authorized],
            "authorization_ids": sorted(a.id for a in authorizations),
        },
    )
    evaluation = latest_evaluation(session, entity.id)
    session.commit()
    reasons = list(evaluation.reasons) if evaluation else []
    shown, withheld = visible_reasons(reasons, view.authorized)
    return StaffEnterpriseView(view, evaluation, shown, withheld)


# ---------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueEntry:
    ticket: Ticket
    overdue: bool
    next_statuses: tuple[TicketStatus, ...]


def objection_queue(
    session: Session, staff_username: str, *, now: datetime, limit: int = QUEUE_LIMIT
) -> tuple[date, list[QueueEntry]]:
    """Open objections: overdue first, then by forwarding deadline, then by submission. The day
    that decides "overdue" is the China calendar day. Listing the queue is a staff look-up of
    tickets, so it is audited too (the count, no contents). Commits."""
    today = china_date(now)
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.kind == TicketKind.OBJECTION.value, Ticket.closed_at.is_(None))
        .options(selectinload(Ticket.record), selectinload(Ticket.enterprise))
    ).all()
    entries = [QueueEntry(t, is_overdue(t, today), allowed_next(t)) for t in tickets]
    entries.sort(
        key=lambda e: (
            not e.overdue,
            e.ticket.forward_deadline or date.max,
            as_utc(e.ticket.created_at),
            e.ticket.id,
        )
    )
    entries = entries[:limit]
    record_access(
        session,
        Actor.staff(staff_username),
        action="staff_objection_queue",
        subject_type="ticket_queue",
        subject_id="异议申诉",
        purpose="异议申诉转交跟踪",
        details={"count": len(entries), "overdue": sum(e.overdue for e in entries)},
    )
    session.commit()
    return today, entries
