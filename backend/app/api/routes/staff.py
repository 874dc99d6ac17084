from __future__ import annotations

from fastapi import Response, status

from app.api.deps import NowDep, SessionDep, SettingsDep, StaffDep, StaffSessionDep
from app.api.routing import APIRouter
from app.schemas import ErrorPublic
from app.schemas.staff import StaffLoginCreate, StaffPublic, StaffSessionPublic
from app.services import staff as staff_service
from app.services._clock import as_utc

router = APIRouter(prefix="/staff", tags=["坐席"])


@router.post(
    "/sessions",
    summary="坐席登录",
    description=(
        "用登录名和口令换取坐席令牌（默认 8 小时有效，见 STAFF_SESSION_HOURS）。"
        "之后的坐席接口在 `Authorization: Bearer <坐席令牌>` 中携带它，而不是服务令牌。"
        "用户名不存在、口令错误或账号停用时一律返回同样的 `login_failed`。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=StaffSessionPublic,
    responses={401: {"model": ErrorPublic, "description": "login_failed：用户名或口令不正确"}},
)
def create_session(
    body: StaffLoginCreate, session: SessionDep, settings: SettingsDep, now: NowDep
) -> StaffSessionPublic:
    issued = staff_service.login(
        session, body.username, body.password, now=now, hours=settings.staff_session_hours
    )
    return StaffSessionPublic(
        token=issued.token,
        expires_at=as_utc(issued.staff_session.expires_at),
        staff=StaffPublic.model_validate(issued.staff_session.staff_user),
    )


@router.delete(
    "/sessions/current",
    summary="坐席退出登录",
    description="使当前坐席令牌立即失效。",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={401: {"model": ErrorPublic, "description": "staff_session_invalid"}},
)
def delete_current_session(
    staff_session: StaffSessionDep, session: SessionDep, now: NowDep
) -> Response:
    staff_service.logout(session, staff_session, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    summary="当前坐席账号",
    description="返回坐席令牌对应的账号（登录名、显示名称、角色）。",
    response_model=StaffPublic,
    responses={401: {"model": ErrorPublic, "description": "staff_session_invalid"}},
)
def get_me(staff: StaffDep) -> StaffPublic:
    return StaffPublic.model_validate(staff)
