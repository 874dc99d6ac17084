"""Ticket progress for chat users, notifications for the channels, and status moves by staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from app.api.deps import ChatUserDep, CityDep, NowDep, SessionDep, StaffDep
from app.api.routing import APIRouter
from app.schemas import CHANNEL_PATTERN, ErrorPublic
from app.schemas.tickets import (
    MAX_ID,
    NotificationDelivered,
    NotificationList,
    NotificationPublic,
    TicketList,
    TicketPublic,
    TicketStatusUpdate,
)
from app.services._clock import as_utc
from app.services.notifications import mark_delivered, pending_notifications
from app.services.tickets import (
    change_status,
    get_owned_ticket,
    list_user_tickets,
    ticket_public,
    ticket_summary,
)

TicketNumber = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="工单号，如 YY202509300001（大小写、空格不敏感）",
    ),
]

router = APIRouter(tags=["工单进度"])


@router.get(
    "/me/tickets",
    summary="我的工单",
    description=(
        "该会话用户提交的异议申诉、信用修复和转人工工单：办理中的在前，再按提交时间倒序。"
        "未知用户返回空列表。"
    ),
    response_model=TicketList,
)
def my_tickets(chat_user: ChatUserDep, session: SessionDep) -> TicketList:
    tickets = list_user_tickets(session, chat_user.channel, chat_user.user_id)
    return TicketList(items=[ticket_summary(t) for t in tickets])


@router.get(
    "/tickets/{number}",
    summary="查询工单进度",
    description=(
        "按工单号查询进度：当前状态、状态变化记录、异议申诉的转交期限。"
        "只有提交该工单的会话用户能查到；别人的工单号与不存在的工单号回答相同（404）。"
    ),
    response_model=TicketPublic,
    responses={404: {"model": ErrorPublic, "description": "ticket_not_found：没有这个工单"}},
)
def get_ticket(number: TicketNumber, chat_user: ChatUserDep, session: SessionDep) -> TicketPublic:
    ticket = get_owned_ticket(session, number, chat_user.channel, chat_user.user_id)
    return ticket_public(ticket)


notifications_router = APIRouter(prefix="/notifications", tags=["通知"])


@notifications_router.get(
    "/pending",
    summary="待送达的通知",
    description=(
        "某渠道待送达给用户的工单状态通知，先生成的在前。渠道（微信客服消息、App 消息中心等）"
        "取走并送达后，逐条调用“确认送达”。确认前重复拉取会再次返回同一条。"
    ),
    response_model=NotificationList,
)
def list_pending(
    session: SessionDep,
    channel: Annotated[str, Query(pattern=CHANNEL_PATTERN, description="渠道，如 wechat、app")],
    limit: Annotated[int, Query(ge=1, le=200, description="最多返回条数")] = 50,
) -> NotificationList:
    rows = pending_notifications(session, channel, limit)
    return NotificationList(
        items=[
            NotificationPublic(
                id=n.id,
                channel=n.channel,
                user_id=n.chat_user.external_user_id,
                number=n.number,
                text=n.text,
                created_at=as_utc(n.created_at),
            )
            for n in rows
        ]
    )


@notifications_router.post(
    "/{notification_id}/delivered",
    summary="确认通知已送达",
    description="渠道送达后确认；重复确认无害，返回首次确认的时间。",
    response_model=NotificationDelivered,
    responses={404: {"model": ErrorPublic, "description": "notification_not_found"}},
)
def confirm_delivered(
    notification_id: Annotated[int, Path(ge=1, le=MAX_ID, description="通知编号")],
    session: SessionDep,
    now: NowDep,
) -> NotificationDelivered:
    notification = mark_delivered(session, notification_id, now)
    assert notification.delivered_at is not None
    return NotificationDelivered(id=notification.id, delivered_at=as_utc(notification.delivered_at))


staff_router = APIRouter(prefix="/staff/tickets", tags=["坐席"])


@staff_router.post(
    "/{number}/status",
    summary="变更工单状态（坐席）",
    description=(
        "坐席按流程推进工单：异议申诉与信用修复 已提交 → 已转交 → 核查中 → 已更正 / 维持原记录 → "
        "已告知；转人工 已提交 → 处理中 → 已办结。不合流程的变更返回 409 `invalid_transition`。"
        "每次变更记入状态历史，并生成一条通知等待用户所在渠道送达；异议出结果时记录恢复“正常”"
        "（已更正时同时标记记录已更正），修复通过时标记记录已修复。操作写入审计日志。"
        "使用坐席令牌（`Authorization: Bearer <坐席令牌>`），不使用服务令牌。"
    ),
    response_model=TicketPublic,
    responses={
        404: {"model": ErrorPublic, "description": "ticket_not_found：没有这个工单"},
        409: {"model": ErrorPublic, "description": "invalid_transition：当前状态不能改为该状态"},
    },
)
def staff_change_status(
    number: TicketNumber,
    body: TicketStatusUpdate,
    staff: StaffDep,
    session: SessionDep,
    city: CityDep,
    now: NowDep,
) -> TicketPublic:
    ticket = change_status(
        session,
        number,
        body.status,
        staff_username=staff.username,
        note=body.note,
        now=now,
        hotline=city.hotline,
    )
    return ticket_public(ticket)
