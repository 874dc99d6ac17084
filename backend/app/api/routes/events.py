from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, status
from fastapi.responses import Response

from app.api.deps import NowDep, SessionDep, SettingsDep, StaffDep, require_staff_role
from app.api.routing import APIRouter
from app.enums import StaffRole
from app.masking import mask_person_name, mask_phone
from app.models import Event, StaffUser
from app.schemas import ErrorPublic
from app.schemas.events import (
    EventCreate,
    EventList,
    EventPublic,
    EventRegistrationList,
    EventRegistrationPublic,
    EventStatsPublic,
    WeChatQrCodePublic,
)
from app.services import events as events_service
from app.services._clock import as_utc
from app.services.audit import Actor

router = APIRouter(prefix="/events", tags=["推广活动"])

EventId = Annotated[int, Path(ge=1, description="活动编号")]
AdminDep = Annotated[StaffUser, Depends(require_staff_role(StaffRole.ADMIN))]
_NOT_FOUND = {404: {"model": ErrorPublic, "description": "event_not_found：没有这个活动"}}


def _public(event: Event, public_base_url: str) -> EventPublic:
    return EventPublic(
        id=event.id,
        code=event.code,
        name=event.name,
        place=event.place,
        starts_at=as_utc(event.starts_at),
        ends_at=as_utc(event.ends_at),
        created_by=event.created_by.username,
        created_at=as_utc(event.created_at),
        h5_url=events_service.h5_link(event, public_base_url),
        wechat_scene=events_service.wechat_scene(event),
    )


@router.post(
    "",
    summary="创建推广活动",
    description=(
        "管理员创建推广活动（名称、地点、起止时间），得到活动码 `code`：放进活动二维码的场景值和 "
        "H5 链接，扫码进入的实名注册带上它（`event_code`）即记入该活动。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=EventPublic,
    responses={
        403: {"model": ErrorPublic, "description": "forbidden_role：仅管理员可创建活动"},
        422: {"model": ErrorPublic, "description": "event_time_invalid / invalid_input"},
    },
)
def create_event(
    body: EventCreate, admin: AdminDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> EventPublic:
    event = events_service.create_event(
        session,
        staff=admin,
        name=body.name,
        place=body.place,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        now=now,
    )
    return _public(event, settings.public_base_url)


@router.get(
    "",
    summary="推广活动列表",
    description="所有坐席可查看；开始时间晚的在前。",
    response_model=EventList,
)
def list_events(_staff: StaffDep, session: SessionDep, settings: SettingsDep) -> EventList:
    base = settings.public_base_url
    return EventList(items=[_public(e, base) for e in events_service.list_events(session)])


@router.get(
    "/{event_id}",
    summary="推广活动详情",
    response_model=EventPublic,
    responses=_NOT_FOUND,
)
def get_event(
    event_id: EventId, _staff: StaffDep, session: SessionDep, settings: SettingsDep
) -> EventPublic:
    return _public(events_service.get_event(session, event_id), settings.public_base_url)


@router.get(
    "/{event_id}/stats",
    summary="推广活动实时统计",
    description=(
        "活动现场大屏用：经该活动完成的实名注册数、注册企业数，以及这些企业自注册起的授权数和产品申请数。"
        "只含计数，不含个人信息。"
    ),
    response_model=EventStatsPublic,
    responses=_NOT_FOUND,
)
def get_event_stats(
    event_id: EventId, _staff: StaffDep, session: SessionDep, settings: SettingsDep
) -> EventStatsPublic:
    event = events_service.get_event(session, event_id)
    stats = events_service.event_stats(session, event)
    return EventStatsPublic(
        event=_public(event, settings.public_base_url),
        registrations=stats.registrations,
        enterprises=stats.enterprises,
        authorizations=stats.authorizations,
        applications=stats.applications,
        last_registered_at=stats.last_registered_at,
    )


@router.get(
    "/{event_id}/registrations",
    summary="推广活动注册名单",
    description=(
        "经该活动完成的实名注册（最新的在前）：企业、办理人（姓名脱敏）、身份、手机号（脱敏）。"
        "含个人信息，每次查看都记入审计日志。"
    ),
    response_model=EventRegistrationList,
    responses=_NOT_FOUND,
)
def list_event_registrations(
    event_id: EventId, staff: StaffDep, session: SessionDep
) -> EventRegistrationList:
    event = events_service.get_event(session, event_id)
    registrations = events_service.read_event_registrations(
        session, event, actor=Actor.staff(staff.username)
    )
    return EventRegistrationList(
        items=[
            EventRegistrationPublic(
                registered_at=as_utc(r.created_at),
                enterprise_name=r.binding.enterprise.name,
                uscc=r.binding.enterprise.uscc,
                person_name=mask_person_name(r.binding.person_name),
                role=r.binding.role,
                phone=mask_phone(r.phone),
            )
            for r in registrations
        ]
    )


_PNG = {200: {"content": {"image/png": {}}, "description": "二维码 PNG 图片"}}


@router.get(
    "/{event_id}/h5-qrcode.png",
    summary="活动 H5 链接二维码（PNG）",
    description=(
        "活动 H5 链接（`h5_url`）的二维码图片，可打印在易拉宝、海报上；城市 App 或浏览器扫码进入。"
    ),
    response_class=Response,
    responses={**_NOT_FOUND, **_PNG},
)
def get_event_h5_qrcode(
    event_id: EventId, _staff: StaffDep, session: SessionDep, settings: SettingsDep
) -> Response:
    event = events_service.get_event(session, event_id)
    png = events_service.qr_png(events_service.h5_link(event, settings.public_base_url))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


_WECHAT_ERRORS = {
    **_NOT_FOUND,
    409: {"model": ErrorPublic, "description": "wechat_not_configured / event_ended"},
    502: {"model": ErrorPublic, "description": "wechat_unavailable：微信暂时无法生成二维码"},
}


def _wechat_qrcode(
    event_id: int, session: SessionDep, settings: SettingsDep, now: NowDep
) -> tuple[Event, events_service.WeChatQrCode]:
    event = events_service.get_event(session, event_id)
    code = events_service.create_wechat_qrcode(
        event,
        qrcode_url=settings.wechat_qrcode_url,
        service_token=settings.service_token,
        now=now,
    )
    return event, code


@router.post(
    "/{event_id}/wechat-qrcode",
    summary="生成活动的微信临时二维码",
    description=(
        "通过公众号接口生成带活动场景值（`wechat_scene`）的临时二维码：扫码关注或进入公众号即开始记入"
        "该活动的实名注册。有效期到活动结束后一天（微信上限 30 天）。未接入公众号时返回 409。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=WeChatQrCodePublic,
    responses=_WECHAT_ERRORS,
)
def create_event_wechat_qrcode(
    event_id: EventId, _staff: StaffDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> WeChatQrCodePublic:
    event, code = _wechat_qrcode(event_id, session, settings, now)
    return WeChatQrCodePublic(
        url=code.url,
        ticket=code.ticket,
        expires_at=code.expires_at,
        png_url=f"/api/v1/events/{event.id}/wechat-qrcode/png",
    )


@router.post(
    "/{event_id}/wechat-qrcode/png",
    summary="生成活动的微信临时二维码（PNG）",
    description="同上，直接返回二维码图片（由微信返回的二维码链接生成）。",
    response_class=Response,
    responses={**_WECHAT_ERRORS, **_PNG},
)
def create_event_wechat_qrcode_png(
    event_id: EventId, _staff: StaffDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    _, code = _wechat_qrcode(event_id, session, settings, now)
    return Response(
        events_service.qr_png(code.url),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )
