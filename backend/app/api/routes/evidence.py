"""证明材料: a channel stores a file the user sent (a WeChat image, an H5 upload); staff open it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Response

from app.api.deps import ChatUserDep, NowDep, SessionDep, SettingsDep, require_staff_role
from app.api.replies import json_reply
from app.api.routing import APIRouter
from app.enums import StaffRole
from app.models import StaffUser
from app.schemas import ErrorPublic
from app.schemas.evidence import EvidenceFilePublic
from app.services.audit import Actor
from app.services.evidence import read_evidence_for_staff, store_evidence, too_large

router = APIRouter(prefix="/evidence-files", tags=["证明材料"])
# Mounted on staff_api_router (staff token, no service token).
staff_router = APIRouter(prefix="/staff/evidence-files", tags=["坐席"])


async def read_limited_body(request: Request, settings: SettingsDep) -> bytes:
    """The raw request body, refused (413) as soon as it grows past the limit: an oversized
    upload is never held in memory whole. Runs on the event loop (it only reads the socket)."""
    limit = settings.evidence_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise too_large(limit)
    return bytes(received)


RawBody = Annotated[bytes, Depends(read_limited_body)]


@router.post(
    "",
    summary="上传证明材料",
    description=(
        "请求体就是文件本身（原始字节，不是 JSON 或表单）。会话渠道收到用户发来的图片或文件后"
        "立即上传（微信临时素材 3 天后失效，平台须保存文件本身），返回的 `id` 在提交异议或信用"
        '修复时以 `{"type": "upload", "id": …}` 引用，且只有同一会话用户可以引用。'
        "文件类型按文件头识别（JPEG、PNG、GIF、WebP、PDF），与 Content-Type 无关；"
        "大小上限见 EVIDENCE_MAX_BYTES（默认 5 MiB）。同一用户重复上传相同内容（如消息重试）"
        "返回原记录（200），不会新建。"
    ),
    status_code=201,
    response_model=EvidenceFilePublic,
    responses={
        200: {"model": EvidenceFilePublic, "description": "该用户已上传过相同内容，返回原记录"},
        413: {"model": ErrorPublic, "description": "evidence_too_large：文件超过大小上限"},
        422: {
            "model": ErrorPublic,
            "description": "evidence_empty / evidence_type_unsupported / invalid_input",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "文件的原始字节",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def upload_evidence(
    body: RawBody,
    chat_user: ChatUserDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    stored, created = store_evidence(
        session, chat_user, body, max_bytes=settings.evidence_max_bytes, now=now
    )
    return json_reply(
        EvidenceFilePublic.model_validate(stored), status_code=201 if created else 200
    )


@staff_router.get(
    "/{file_id}",
    summary="查看证明材料",
    description=(
        "坐席或管理员查看工单里引用的证明材料（图片或 PDF 原文件，Content-Type 为上传时按文件头"
        "识别的类型）。每次查看都记入审计日志。编号不存在时 404 `evidence_not_found`。"
    ),
    response_class=Response,
    responses={
        200: {
            "description": "文件内容",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in (
                    "image/jpeg",
                    "image/png",
                    "image/gif",
                    "image/webp",
                    "application/pdf",
                )
            },
        },
        403: {"model": ErrorPublic, "description": "forbidden_role：账号角色无权查看"},
        404: {"model": ErrorPublic, "description": "evidence_not_found：没有这份证明材料"},
    },
)
def download_evidence(
    file_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=128,
            pattern=r"^[A-Za-z0-9_\-]+$",
            description="证明材料编号（工单证明材料中的 id）",
        ),
    ],
    staff: Annotated[StaffUser, Depends(require_staff_role(StaffRole.AGENT, StaffRole.ADMIN))],
    session: SessionDep,
) -> Response:
    stored = read_evidence_for_staff(session, file_id, Actor.staff(staff.username))
    return Response(
        stored.content,
        media_type=stored.content_type,
        headers={
            # Shown as what the bytes are, never sniffed into something else, never cached.
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="{stored.id}"',
        },
    )
