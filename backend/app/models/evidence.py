"""Evidence files (证明材料): images and documents a chat channel received from a user and
uploaded for an objection or a repair.

WeChat's temporary media expire after three days, so the channel downloads an image while the
user is still in the conversation and the backend keeps the bytes themselves; a ticket's evidence
then names the file by its opaque id ({"type": "upload", "id": ...})."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class EvidenceFile(Base):
    __tablename__ = "evidence_files"
    # A retried delivery of the same image by the same user must land on the same row.
    __table_args__ = (UniqueConstraint("uploader_channel", "uploader_user_id", "sha256"),)

    id: Mapped[str] = mapped_column(
        String(40), primary_key=True, comment="对外编号：ev_ + 32 位十六进制，不可推测"
    )
    uploader_channel: Mapped[str] = mapped_column(String(32), comment="上传人的会话渠道")
    uploader_user_id: Mapped[str] = mapped_column(
        String(128), comment="上传人在渠道内的标识（如微信 openid）"
    )
    sha256: Mapped[str] = mapped_column(String(64), comment="文件内容的 SHA-256（十六进制）")
    size: Mapped[int] = mapped_column(Integer, comment="字节数")
    content_type: Mapped[str] = mapped_column(
        String(40), comment="按文件头识别的类型，如 image/jpeg、application/pdf"
    )
    content: Mapped[bytes] = mapped_column(LargeBinary, comment="文件内容")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
