"""Evidence files (证明材料): storing what a channel received from a user, and checking that a
ticket's evidence names files that user really uploaded.

A file's kind is read from its first bytes, never from the Content-Type the caller sends: the
header is whatever the channel guessed, the bytes are what staff will open. Only images and PDF
are kept. A retried delivery (WeChat retries, a channel that timed out) carries the same bytes
from the same user, and gets the first record back: (uploader, sha256) is unique, and a
concurrent insert that loses on that key returns the winner's row."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import EvidenceFile
from app.schemas.tickets import EvidenceRef
from app.services.audit import Actor, record_access
from app.services.tickets import ChatUserLike

ID_PREFIX = "ev_"
ATTEMPTS = 3
# (magic bytes at offset 0, content type). WebP is RIFF....WEBP and is checked on its own.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff_content_type(data: bytes) -> str | None:
    """The kind of file `data` is by its magic bytes, or None for anything not accepted."""
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def too_large(max_bytes: int) -> AppError:
    megabytes = max_bytes / (1024 * 1024)
    limit = f"{megabytes:g} MB" if megabytes >= 1 else f"{max_bytes // 1024} KB"
    return AppError(
        "evidence_too_large",
        f"文件太大了，证明材料每份不能超过 {limit}，请压缩后再发送。",
        413,
    )


def _find(session: Session, chat_user: ChatUserLike, sha256: str) -> EvidenceFile | None:
    return session.scalars(
        select(EvidenceFile).where(
            EvidenceFile.uploader_channel == chat_user.channel,
            EvidenceFile.uploader_user_id == chat_user.user_id,
            EvidenceFile.sha256 == sha256,
        )
    ).first()


def store_evidence(
    session: Session,
    chat_user: ChatUserLike,
    data: bytes,
    *,
    max_bytes: int,
    now: datetime,
) -> tuple[EvidenceFile, bool]:
    """The stored file and whether it is new (False: this user uploaded these bytes before).
    Commits. Empty, unknown or oversized content is refused before anything is written."""
    if not data:
        raise AppError("evidence_empty", "没有收到文件内容，请重新发送。", 422)
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    content_type = sniff_content_type(data)
    if content_type is None:
        raise AppError(
            "evidence_type_unsupported",
            "暂不支持这种文件，请发送图片（JPEG、PNG、GIF、WebP）或 PDF 文件。",
            422,
        )
    sha256 = hashlib.sha256(data).hexdigest()
    for attempt in range(ATTEMPTS):
        if (existing := _find(session, chat_user, sha256)) is not None:
            return existing, False
        stored = EvidenceFile(
            id=f"{ID_PREFIX}{uuid.uuid4().hex}",
            uploader_channel=chat_user.channel,
            uploader_user_id=chat_user.user_id,
            sha256=sha256,
            size=len(data),
            content_type=content_type,
            content=data,
            created_at=now,
        )
        session.add(stored)
        try:
            session.commit()
            return stored, True
        except (IntegrityError, OperationalError):
            # A concurrent delivery of the same bytes committed first (unique key), or SQLite
            # refused a concurrent writer: a fresh snapshot shows the winner's row.
            session.rollback()
            if attempt == ATTEMPTS - 1:
                if (existing := _find(session, chat_user, sha256)) is not None:
                    return existing, False
                raise
    raise AssertionError("unreachable")


def require_own_evidence(
    session: Session, chat_user: ChatUserLike, refs: Iterable[EvidenceRef], *, field: str
) -> None:
    """Every referenced file exists and was uploaded by this chat user; else 422
    evidence_not_found. Someone else's file is answered exactly like a missing one."""
    wanted = {ref.id for ref in refs if ref.type == "upload"}
    if not wanted:
        return
    found = set(
        session.scalars(
            select(EvidenceFile.id).where(
                EvidenceFile.id.in_(wanted),
                EvidenceFile.uploader_channel == chat_user.channel,
                EvidenceFile.uploader_user_id == chat_user.user_id,
            )
        )
    )
    if wanted - found:
        raise AppError(
            "evidence_not_found",
            "没有找到您发送的证明材料，请重新发送图片或文件后再提交。",
            422,
            fields=[field],
        )


def read_evidence_for_staff(session: Session, file_id: str, actor: Actor) -> EvidenceFile:
    """The file for a staff member to look at, with the audit row committed in the same
    transaction as the read (every staff look-up is audited). Unknown id → 404."""
    stored = session.get(EvidenceFile, file_id)
    if stored is None:
        raise AppError("evidence_not_found", "没有找到这份证明材料，请核对编号。", 404)
    record_access(
        session,
        actor,
        action="read_evidence_file",
        subject_type="evidence_file",
        subject_id=stored.id,
        purpose="坐席查看异议或修复的证明材料",
        details={"content_type": stored.content_type, "size": stored.size},
    )
    session.commit()
    return stored
