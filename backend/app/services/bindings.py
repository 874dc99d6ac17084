"""实名注册: verify a chat user's claim against the market-entity registry and bind them.

Reached through registration (app/services/registration.py), which verifies the SMS code first and
runs this in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import BindingRole
from app.errors import AppError
from app.models import Binding, ChatUser, Enterprise, RegistryEntity
from app.services._db import get_or_create
from app.textnorm import normalize_org_name, normalize_person_name
from app.uscc import UsccInvalid, validate_uscc

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class BindingClaim:
    """What the person says: the enterprise, their name and their role in it."""

    uscc: str
    enterprise_name: str
    person_name: str
    role: BindingRole


@dataclass(frozen=True)
class BindingOutcome:
    created: bool
    enterprise: Enterprise
    role: BindingRole
    binding: Binding


def bind_enterprise(
    session: Session, *, channel: str, user_id: str, claim: BindingClaim
) -> BindingOutcome:
    """Checks the claim against the registry and binds the chat user, creating the platform
    enterprise the first time. An existing binding is returned as it is (`created` false). Adds to
    the caller's transaction; the caller commits."""
    try:
        uscc = validate_uscc(claim.uscc)
    except UsccInvalid as exc:
        raise AppError("uscc_invalid", exc.message, 422, fields=["uscc"]) from None

    entity = session.scalars(select(RegistryEntity).where(RegistryEntity.uscc == uscc)).first()
    if entity is None:
        raise AppError(
            "registry_not_found",
            "在市场主体登记信息中没有找到这个统一社会信用代码，请核对后重新输入。"
            "如果企业刚完成登记，信息同步可能需要几个工作日。",
            404,
            fields=["uscc"],
        )
    _verify_against_registry(entity, claim)

    enterprise, _ = get_or_create(
        session,
        Enterprise,
        {"registry_entity_id": entity.id},
        {
            "uscc": entity.uscc,
            "name": entity.name,
            "is_individual_business": entity.is_individual_business,
        },
    )
    chat_user, _ = get_or_create(
        session, ChatUser, {"channel": channel, "external_user_id": user_id}
    )
    binding, created = get_or_create(
        session,
        Binding,
        {"chat_user_id": chat_user.id, "enterprise_id": enterprise.id},
        {"role": claim.role.value, "person_name": claim.person_name},
    )
    # No names or user ids in the log: they are personal data.
    log.info("binding.bound", enterprise_id=enterprise.id, binding_id=binding.id, created=created)
    return BindingOutcome(created, enterprise, BindingRole(binding.role), binding)


def _verify_against_registry(entity: RegistryEntity, data: BindingClaim) -> None:
    """Name, and for a legal representative also the person, must agree with the registry. The
    message says which field disagrees but never what the registry holds."""
    name_ok = normalize_org_name(data.enterprise_name) == normalize_org_name(entity.name)
    person_ok = data.role is not BindingRole.LEGAL_REPRESENTATIVE or normalize_person_name(
        data.person_name
    ) == normalize_person_name(entity.legal_representative)
    if name_ok and person_ok:
        return

    person_label = "经营者（法定代表人）姓名" if entity.is_individual_business else "法定代表人姓名"
    if not name_ok and not person_ok:
        message = f"企业名称和{person_label}都与市场主体登记信息不一致，请对照营业执照重新填写。"
        fields = ["enterprise_name", "person_name"]
    elif not name_ok:
        message = (
            "企业名称与市场主体登记信息不一致，请按营业执照上的名称完整填写（包括括号里的内容）。"
        )
        fields = ["enterprise_name"]
    else:
        message = (
            f"{person_label}与市场主体登记信息不一致，请核对。"
            "如果您不是法定代表人，请选择“经办人”身份办理。"
        )
        fields = ["person_name"]
    raise AppError("registry_mismatch", message, 422, fields=fields)
