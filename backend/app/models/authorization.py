"""授权: an enterprise's consent to share its non-public data with institutions, and the tokens
institutions authenticate with when they read an enterprise's data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin
from app.enums import SERVICE_DESK_CODE
from app.models.registry import Institution


class Authorization(Base):
    """One consent to one version of the risk notice (充分告知相关风险). Rows are never deleted:
    revoking sets `revoked_at`, and expiry is `expires_at`, so past authorizations stay on record
    (who, when, channel, notice version, scope, institutions, expiry)."""

    __tablename__ = "authorizations"
    __table_args__ = (CheckConstraint("period_months BETWEEN 1 AND 36", name="period_months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    chat_user_id: Mapped[int] = mapped_column(ForeignKey("chat_users.id"), comment="授权人")
    channel: Mapped[str] = mapped_column(String(32), comment="授权时的会话渠道")
    notice_version: Mapped[str] = mapped_column(String(16), comment="已阅读并同意的风险告知书版本")
    data_categories: Mapped[list[str]] = mapped_column(comment="授权的数据类别，见 DataCategory")
    all_institutions: Mapped[bool] = mapped_column(Boolean, comment="是否授权全部接入机构")
    institution_codes: Mapped[list[str]] = mapped_column(
        comment="授权的机构代码；授权全部机构时为空"
    )
    period_months: Mapped[int] = mapped_column(Integer, comment="授权期限（月）")
    granted_at: Mapped[datetime] = mapped_column(comment="授权时间")
    expires_at: Mapped[datetime] = mapped_column(comment="到期时间")
    revoked_at: Mapped[datetime | None] = mapped_column(comment="撤回时间")
    revoked_by_chat_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_users.id"), comment="撤回人"
    )

    def covers_institution(self, code: str) -> bool:
        if code == SERVICE_DESK_CODE:  # only when named: "all institutions" means 接入机构
            return code in self.institution_codes
        return self.all_institutions or code in self.institution_codes

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class InstitutionCredential(TimestampMixin, Base):
    """An institution's API token. Only its SHA-256 is stored; the token is shown once on issue."""

    __tablename__ = "institution_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="令牌的 SHA-256")
    label: Mapped[str] = mapped_column(String(50), comment="用途说明，如 演示令牌")
    revoked_at: Mapped[datetime | None] = mapped_column(comment="停用时间")

    institution: Mapped[Institution] = relationship()
