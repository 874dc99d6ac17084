from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, status

from app.api.deps import NowDep, SessionDep, StaffDep, require_staff_role
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
)
from app.services import events as events_service
from app.services._clock import as_utc
from app.services.audit import Actor

router = APIRouter(prefix="/events", tags=["推广活动"])

EventId = Annotated[int, Path(ge=1, description="活动编号")]
AdminDep = Annotated[StaffUser, Depends(require_staff_role(StaffRole.ADMIN))]
_NOT_FOUND = {404: {"model": ErrorPublic, "description": "event_not_found：没有这个活动"}}


def _public(event: Event) -> EventPublic:
    return EventPublic(
        id=event.id,
        code=event.code,
        name=event.name,
        place=event.place,
        starts_at=as_utc(event.starts_at),
        ends_at=as_utc(event.ends_at),
        created_by=event.created_by.username,
        created_at=as_utc(event.created_at),
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
    body: EventCreate, admin: AdminDep, session: SessionDep, now: NowDep
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
    return _public(event)


@router.get(
    "",
    summary="推广活动列表",
    description="所有坐席可查看；开始时间晚的在前。",
    response_model=EventList,
)
def list_events(_staff: StaffDep, session: SessionDep) -> EventList:
    return EventList(items=[_public(e) for e in events_service.list_events(session)])


@router.get(
    "/{event_id}",
    summary="推广活动详情",
    response_model=EventPublic,
    responses=_NOT_FOUND,
)
def get_event(event_id: EventId, _staff: StaffDep, session: SessionDep) -> EventPublic:
    return _public(events_service.get_event(session, event_id))


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
def get_event_stats(event_id: EventId, _staff: StaffDep, session: SessionDep) -> EventStatsPublic:
    event = events_service.get_event(session, event_id)
    stats = events_service.event_stats(session, event)
    return EventStatsPublic(
        event=_public(event),
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
