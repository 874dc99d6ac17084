"""Evidence files: the images and documents users send as evidence, kept by the backend.

WeChat deletes temporary media after three days, so a ticket can no longer point at a WeChat
media id: the channel uploads the image and the ticket names the stored file
({"type": "upload", "id": "ev_…"}). Older tickets keep their media references as they were.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_EVIDENCE_COMMENT = "证明材料引用：[{type: wechat_media|upload, id}]"
NEW_EVIDENCE_COMMENT = "证明材料引用：[{type: upload, id}]，id 为 evidence_files 的编号"


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column(
            "id",
            sa.String(length=40),
            nullable=False,
            comment="对外编号：ev_ + 32 位十六进制，不可推测",
        ),
        sa.Column(
            "uploader_channel", sa.String(length=32), nullable=False, comment="上传人的会话渠道"
        ),
        sa.Column(
            "uploader_user_id",
            sa.String(length=128),
            nullable=False,
            comment="上传人在渠道内的标识（如微信 openid）",
        ),
        sa.Column(
            "sha256", sa.String(length=64), nullable=False, comment="文件内容的 SHA-256（十六进制）"
        ),
        sa.Column("size", sa.Integer(), nullable=False, comment="字节数"),
        sa.Column(
            "content_type",
            sa.String(length=40),
            nullable=False,
            comment="按文件头识别的类型，如 image/jpeg、application/pdf",
        ),
        sa.Column("content", sa.LargeBinary(), nullable=False, comment="文件内容"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint(
            "uploader_channel",
            "uploader_user_id",
            "sha256",
            name=op.f("uq_evidence_files_uploader_channel_uploader_user_id_sha256"),
        ),
    )
    _comment_evidence(OLD_EVIDENCE_COMMENT, NEW_EVIDENCE_COMMENT)


def downgrade() -> None:
    _comment_evidence(NEW_EVIDENCE_COMMENT, OLD_EVIDENCE_COMMENT)
    op.drop_table("evidence_files")


def _comment_evidence(old: str, new: str) -> None:
    # SQLite keeps no column comments (changing one would rebuild the table for nothing).
    if op.get_context().dialect.supports_comments:
        op.alter_column(
            "tickets", "evidence", existing_type=sa.JSON(), comment=new, existing_comment=old
        )
