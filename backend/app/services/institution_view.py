"""What an institution (bank, guarantee company …) sees of an enterprise, and how institutions
authenticate.

分级分类: public information (registration facts and public credit records still within their
publicity) is always shown; a non-public category only while a live authorization of the
enterprise covers this institution and that category. Every non-public read is audited in the
same transaction (who = the institution, what = the enterprise and categories, why = the stated
purpose, when) — 来源可溯、去向可查.

Institutions hold tokens of their own (never the platform's service token, which can act for any
chat user). Only a SHA-256 of each token is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import DATA_CATEGORY_RECORDS, CreditCategory, DataCategory, DataClass
from app.errors import AppError
from app.models import (
    Authorization,
    CreditRecord,
    Enterprise,
    Institution,
    InstitutionCredential,
    RegistryEntity,
)
from app.services._clock import as_utc
from app.services.audit import Actor, record_access
from app.services.authorizations import live_authorizations
from app.services.credit import person_names
from app.uscc import UsccInvalid, validate_uscc

DEV_TOKEN_PREFIX = "dev-institution-"
DEMO_TOKEN_LABEL = "演示令牌（仅限开发环境）"


# ---------------------------------------------------------------- credentials


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def development_token(institution_code: str) -> str:
    """The demo seed's token for an institution: predictable on purpose, like the development
    service token, and to be replaced (issue_token) outside development."""
    return f"{DEV_TOKEN_PREFIX}{institution_code}"


def add_credential(
    session: Session, institution: Institution, token: str, label: str
) -> InstitutionCredential:
    credential = InstitutionCredential(
        institution_id=institution.id, token_hash=hash_token(token), label=label
    )
    session.add(credential)
    session.flush()
    return credential


def issue_token(session: Session, institution: Institution, label: str) -> str:
    """A new random token for the institution; shown once, only its hash is kept."""
    token = "inst_" + secrets.token_urlsafe(32)
    add_credential(session, institution, token, label)
    return token


def ensure_development_credentials(session: Session) -> list[tuple[Institution, str]]:
    """Gives every institution without a credential its development token (demo seed)."""
    institutions = list(session.scalars(select(Institution).order_by(Institution.id)))
    having = set(session.scalars(select(InstitutionCredential.institution_id)))
    issued: list[tuple[Institution, str]] = []
    for institution in institutions:
        token = development_token(institution.code)
        if institution.id not in having:
            add_credential(session, institution, token, DEMO_TOKEN_LABEL)
        issued.append((institution, token))
    return issued


def authenticate(session: Session, token: str | None) -> Institution:
    unauthorized = AppError(
        "institution_unauthorized",
        "缺少或无效的机构令牌，请在 Authorization 头中携带本机构的 Bearer 令牌。",
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )
    if not token:
        raise unauthorized
    # Looked up by hash: the comparison never touches the token itself.
    credential = session.scalars(
        select(InstitutionCredential).where(
            InstitutionCredential.token_hash == hash_token(token),
            InstitutionCredential.revoked_at.is_(None),
        )
    ).first()
    if credential is None:
        raise unauthorized
    return credential.institution


def institution_actor(institution: Institution) -> Actor:
    return Actor("institution", institution.code)


# ---------------------------------------------------------------- the view


@dataclass(frozen=True)
class InstitutionView:
    entity: RegistryEntity
    enterprise: Enterprise | None
    public: dict[CreditCategory, list[CreditRecord]]
    authorized: list[DataCategory]
    withheld: list[DataCategory]
    non_public: dict[CreditCategory, list[CreditRecord]]
    authorization_expires_at: datetime | None
    person_names: tuple[str, ...]


def _still_public(record: CreditRecord, today: date) -> bool:
    # A record past its publicity end (公示截止日期) is no longer public information.
    return record.publicity_end_on is None or record.publicity_end_on >= today


def _check_purpose(purpose: str | None) -> str:
    purpose = (purpose or "").strip()
    if not 2 <= len(purpose) <= 100 or not purpose.isprintable():
        raise AppError(
            "purpose_required",
            "请说明查询目的（2至100字），如“贷前审查”，它会记入审计日志。",
            422,
            fields=["purpose"],
        )
    return purpose


def find_entity(session: Session, uscc: str) -> tuple[RegistryEntity, Enterprise | None]:
    """The registry entity of a USCC (normalised and check-digit validated first) and its platform
    account, if it registered. Bad code → 422 uscc_invalid; unknown → 404 enterprise_not_found."""
    try:
        code = validate_uscc(uscc)
    except UsccInvalid as exc:
        raise AppError("uscc_invalid", exc.message, 422, fields=["uscc"]) from None
    entity = session.scalars(select(RegistryEntity).where(RegistryEntity.uscc == code)).first()
    if entity is None:
        raise AppError("enterprise_not_found", "平台没有这个统一社会信用代码对应的市场主体。", 404)
    enterprise = session.scalars(
        select(Enterprise).where(Enterprise.registry_entity_id == entity.id)
    ).first()
    return entity, enterprise


def build_view(
    session: Session,
    entity: RegistryEntity,
    enterprise: Enterprise | None,
    authorizations: list[Authorization],
    *,
    now: datetime,
) -> InstitutionView:
    """What a reader holding `authorizations` (live ones covering it) may see of the entity: the
    public records still within publicity, and the non-public categories the authorizations
    grant. Reads only; the caller audits."""
    today = as_utc(now).date()
    granted = {DataCategory(c) for a in authorizations for c in a.data_categories}
    authorized = [c for c in DataCategory if c in granted]
    withheld = [c for c in DataCategory if c not in granted]
    readable = {rc for c in authorized for rc in DATA_CATEGORY_RECORDS[c]}

    records = session.scalars(
        select(CreditRecord)
        .where(CreditRecord.registry_entity_id == entity.id)
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.id.desc())
    )
    public: dict[CreditCategory, list[CreditRecord]] = {
        c: [] for c in CreditCategory if c.data_class is DataClass.PUBLIC
    }
    non_public: dict[CreditCategory, list[CreditRecord]] = {
        rc: [] for c in authorized for rc in DATA_CATEGORY_RECORDS[c]
    }
    for record in records:
        category = CreditCategory(record.category)
        if category.data_class is DataClass.PUBLIC:
            if _still_public(record, today):
                public[category].append(record)
        elif category in readable:
            non_public[category].append(record)

    return InstitutionView(
        entity=entity,
        enterprise=enterprise,
        public=public,
        authorized=authorized,
        withheld=withheld,
        non_public=non_public,
        authorization_expires_at=max(
            (as_utc(a.expires_at) for a in authorizations),
            default=None,
        ),
        person_names=person_names(session, entity),
    )


def enterprise_view(
    session: Session, institution: Institution, uscc: str, purpose: str | None, *, now: datetime
) -> InstitutionView:
    purpose = _check_purpose(purpose)
    entity, enterprise = find_entity(session, uscc)
    now = as_utc(now)
    authorizations = (
        live_authorizations(session, enterprise.id, institution.code, now=now)
        if enterprise is not None
        else []
    )
    view = build_view(session, entity, enterprise, authorizations, now=now)
    if view.authorized:
        assert enterprise is not None
        record_access(
            session,
            institution_actor(institution),
            action="read_non_public",
            subject_type="enterprise",
            subject_id=enterprise.id,
            purpose=purpose,
            details={
                "uscc": entity.uscc,
                "categories": [c.value for c in view.authorized],
                "authorization_ids": sorted(a.id for a in authorizations),
            },
        )
        session.commit()
    return view
