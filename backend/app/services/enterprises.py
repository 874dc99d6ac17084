"""Which enterprises a chat user may act for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import BindingRole
from app.errors import AppError
from app.models import Binding, ChatUser, Enterprise


@dataclass(frozen=True)
class BoundEnterprise:
    enterprise: Enterprise
    role: BindingRole


def list_bound_enterprises(session: Session, channel: str, user_id: str) -> list[BoundEnterprise]:
    stmt = (
        select(Enterprise, Binding.role)
        .join(Binding, Binding.enterprise_id == Enterprise.id)
        .join(ChatUser, ChatUser.id == Binding.chat_user_id)
        .where(ChatUser.channel == channel, ChatUser.external_user_id == user_id)
        .order_by(Binding.created_at, Binding.id)
    )
    return [BoundEnterprise(ent, BindingRole(role)) for ent, role in session.execute(stmt)]


def require_bound_enterprise(
    session: Session, enterprise_id: int, channel: str, user_id: str
) -> Enterprise:
    """The enterprise, if this chat user is bound to it. An unknown enterprise id gets the same
    answer as a foreign one, so ids cannot be probed for existence."""
    stmt = (
        select(Enterprise)
        .join(Binding, Binding.enterprise_id == Enterprise.id)
        .join(ChatUser, ChatUser.id == Binding.chat_user_id)
        .where(
            Enterprise.id == enterprise_id,
            ChatUser.channel == channel,
            ChatUser.external_user_id == user_id,
        )
    )
    enterprise = session.scalars(stmt).first()
    if enterprise is None:
        raise not_bound()
    return enterprise


def not_bound() -> AppError:
    """The refusal of an enterprise the chat user is not bound to, or that does not exist."""
    return AppError(
        "not_bound",
        "您还没有绑定这家企业，不能查看它的信息。请先完成实名注册并绑定企业。",
        403,
    )
