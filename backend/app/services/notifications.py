"""Telling users of each change to their tickets and product applications.

Every status change writes one row to `notifications` in the same transaction as the change: the
chat user, their channel, the ticket and a Chinese text. The channels (WeChat customer-service
messages, the app's message centre …) fetch the pending rows for their channel and confirm each
one once it is delivered, so a change is never lost between the database and the channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import ApplicationStatus
from app.errors import AppError
from app.masking import mask_text
from app.models import Application, Notification, Ticket, TicketEvent, TicketKind
from app.models.tickets import TicketStatus

S = TicketStatus

_SUBJECT = {
    TicketKind.OBJECTION: "您的异议申诉",
    TicketKind.REPAIR: "您的信用修复申请",
    TicketKind.HANDOFF: "您的转人工请求",
}

_MESSAGES: dict[TicketKind, dict[TicketStatus, str]] = {
    TicketKind.OBJECTION: {
        S.FORWARDED: "已转交省级节点，进入核查程序。",
        S.VERIFYING: "正在核查中，核查结果出来后会第一时间通知您。",
        S.CORRECTED: "核查完成：异议成立，相关信用记录已更正。",
        S.UPHELD: "核查完成：经核实原记录无误，予以维持。",
        S.NOTIFIED: "已办结，处理结果已正式告知。",
    },
    TicketKind.REPAIR: {
        S.FORWARDED: "已转交信息认定单位审核。",
        S.VERIFYING: "正在审核中，审核结果出来后会第一时间通知您。",
        S.CORRECTED: "审核通过，该条记录已完成信用修复。",
        S.UPHELD: "审核未通过，该条记录暂不予修复。",
        S.NOTIFIED: "已办结，处理结果已正式告知。",
    },
    TicketKind.HANDOFF: {
        S.HANDLING: "已由热线坐席受理，工作人员会尽快与您联系。",
        S.RESOLVED: "已办结。",
    },
}


def notification_text(
    kind: TicketKind, number: str, status: TicketStatus, *, hotline: str, note: str | None = None
) -> str:
    message = _MESSAGES[kind].get(status, f"状态已更新为“{status}”。")
    text = f"{_SUBJECT[kind]}（工单号 {number}）{message}"
    if note:
        text += f"说明：{mask_text(note)}"
        if not text.endswith(("。", "！", "？", ".", "!", "?")):
            text += "。"
    return text + f"如有疑问，请拨打服务热线 {hotline}。"


def add_notification(
    session: Session, ticket: Ticket, event: TicketEvent, *, hotline: str
) -> Notification:
    """Adds the row for one status change to the caller's transaction."""
    notification = Notification(
        chat_user_id=ticket.chat_user_id,
        channel=ticket.chat_user.channel,
        number=ticket.number,
        ticket_id=ticket.id,
        ticket_event_id=event.id,
        text=notification_text(
            TicketKind(ticket.kind),
            ticket.number,
            TicketStatus(event.to_status),
            hotline=hotline,
            note=event.note,
        ),
        created_at=event.at,
    )
    session.add(notification)
    return notification


_APPLICATION_MESSAGES: dict[ApplicationStatus, str] = {
    ApplicationStatus.ACCEPTED: "已由{institution}受理，审批结果出来后会通知您。",
    ApplicationStatus.APPROVED: "{institution}已审批通过{feedback}。",
    ApplicationStatus.REJECTED: "经{institution}审核，暂未通过。",
    ApplicationStatus.DISBURSED: "{institution}已放款{feedback}。",
}


def application_notification_text(application: Application, *, hotline: str) -> str:
    """The institution's decision and its feedback (融资成效) in words the applicant reads."""
    status = ApplicationStatus(application.status)
    feedback = ""
    if application.approved_amount is not None:
        feedback = (
            f"：金额 {application.approved_amount:g} 万元，"
            f"年化利率 {application.approved_rate:g}%，"
            f"期限 {application.approved_term_months} 个月"
        )
    message = _APPLICATION_MESSAGES.get(status, f"状态已更新为“{status}”。").format(
        institution=application.institution.name, feedback=feedback
    )
    text = f"您申请的{application.product.name}（申请编号 {application.number}）{message}"
    if application.feedback_note:
        text += f"机构说明：{mask_text(application.feedback_note)}"
        if not text.endswith(("。", "！", "？")):
            text += "。"
    return text + f"如有疑问，请拨打服务热线 {hotline}。"


def add_application_notification(
    session: Session, application: Application, *, hotline: str, now: datetime
) -> Notification:
    """Adds the row for the application's latest status change to the caller's transaction."""
    notification = Notification(
        chat_user_id=application.chat_user_id,
        channel=application.channel,
        number=application.number,
        application_id=application.id,
        text=application_notification_text(application, hotline=hotline),
        created_at=now,
    )
    session.add(notification)
    return notification


def pending_notifications(session: Session, channel: str, limit: int) -> list[Notification]:
    """Undelivered notifications of one channel, oldest first."""
    stmt = (
        select(Notification)
        .where(Notification.channel == channel, Notification.delivered_at.is_(None))
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def mark_delivered(session: Session, notification_id: int, now: datetime) -> Notification:
    """Confirms delivery; confirming again keeps the first time. Commits."""
    notification = session.scalars(
        select(Notification).where(Notification.id == notification_id).with_for_update()
    ).first()
    if notification is None:
        raise AppError("notification_not_found", "没有找到这条通知。", 404)
    if notification.delivered_at is None:
        notification.delivered_at = now
        session.commit()
    return notification
