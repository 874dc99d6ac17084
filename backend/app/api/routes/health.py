from __future__ import annotations

from fastapi import Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.api.replies import json_reply
from app.api.routing import APIRouter
from app.errors import AppError
from app.schemas import ErrorPublic, HealthPublic

router = APIRouter(tags=["运维"])


@router.get(
    "/health",
    summary="健康检查",
    description="执行 `SELECT 1` 确认数据库可用；不需要令牌。数据库不可用时返回 503。",
    response_model=HealthPublic,
    responses={503: {"model": ErrorPublic, "description": "数据库不可用"}},
)
def health(session: SessionDep) -> Response:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise AppError("database_unavailable", "数据库暂时不可用，请稍后再试。", 503) from None
    return json_reply(HealthPublic(status="ok"))
