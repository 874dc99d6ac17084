from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, status
from fastapi.responses import JSONResponse

from app.api.deps import (
    ChatUserDep,
    CityDep,
    IdempotencyKeyDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.api.routing import APIRouter
from app.errors import AppError
from app.masking import mask_phone
from app.schemas import ErrorPublic
from app.schemas.registration import (
    PHONE_PATTERN,
    RegistrationCreate,
    RegistrationPublic,
    SmsCodeCreate,
    SmsCodeSentPublic,
    SmsErrorPublic,
    SmsOutboxItem,
    SmsOutboxPublic,
    UsccCheckCreate,
    UsccCheckPublic,
)
from app.services import registration as registration_service
from app.services import sms
from app.services._clock import as_utc
from app.uscc import UsccInvalid, is_individual_business, validate_uscc

router = APIRouter(prefix="/registrations", tags=["实名注册"])


@router.post(
    "/sms-codes",
    summary="发送注册短信验证码",
    description=(
        "向手机号发送 6 位短信验证码（5 分钟内有效，最多输错 5 次）。"
        "同一手机号 60 秒内只能获取一次，过早再次获取返回 429 `sms_cooldown`"
        "（`retry_after_seconds` 与 Retry-After 头给出还需等待的秒数）。"
        "新验证码发出后，之前的验证码作废。"
    ),
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SmsCodeSentPublic,
    responses={
        422: {"model": ErrorPublic, "description": "invalid_input：手机号格式不正确"},
        429: {"model": SmsErrorPublic, "description": "sms_cooldown：发送过于频繁"},
    },
)
def send_sms_code(
    body: SmsCodeCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    city: CityDep,
    now: NowDep,
    request: Request,
) -> SmsCodeSentPublic:
    sent = sms.send_code(
        session,
        request.app.state.sms_provider,
        phone=body.phone,
        channel=chat_user.channel,
        user_id=chat_user.user_id,
        platform_name=city.platform_name,
        now=now,
    )
    return SmsCodeSentPublic(
        phone=mask_phone(body.phone),
        expires_at=as_utc(sent.expires_at),
        expires_in_seconds=int(sms.CODE_TTL.total_seconds()),
        resend_after_seconds=int(sms.RESEND_COOLDOWN.total_seconds()),
        max_attempts=sms.MAX_FAILED_ATTEMPTS,
    )


@router.post(
    "/uscc-checks",
    summary="校验统一社会信用代码",
    description=(
        "规范化（全角、小写、空格、短横线）后按 GB 32100-2015 校验码检查代码，"
        "供对话中逐项收集时当场提示。只校验代码本身，不查询也不透露登记信息。"
    ),
    response_model=UsccCheckPublic,
    responses={422: {"model": ErrorPublic, "description": "uscc_invalid：代码不合规，附原因"}},
)
def check_uscc(body: UsccCheckCreate) -> UsccCheckPublic:
    try:
        code = validate_uscc(body.uscc)
    except UsccInvalid as invalid:
        raise AppError("uscc_invalid", invalid.message, 422, fields=["uscc"]) from None
    return UsccCheckPublic(uscc=code, is_individual_business=is_individual_business(code))


@router.post(
    "",
    summary="实名注册并绑定企业",
    description=(
        "一步完成实名注册：先核对短信验证码，"
        "再规范化并校验统一社会信用代码（GB 32100-2015 校验码），"
        "与市场主体登记信息核对企业名称（身份为法定代表人时同时核对法定代表人姓名），"
        "核验通过后（首次时创建平台企业）绑定会话用户；带 `event_code` 时记录所属推广活动。"
        "重复注册返回已有绑定：首次 201、`created: true`；再次 200、`created: false`。"
        "携带 `Idempotency-Key` 时，同一请求的重复投递（包括同时到达的）"
        "只办理一次并得到同样的答复。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationPublic,
    responses={
        200: {"model": RegistrationPublic, "description": "此前已绑定，返回原绑定"},
        404: {
            "model": ErrorPublic,
            "description": "registry_not_found：登记信息中无此代码；event_not_found：活动码不存在",
        },
        422: {
            "model": SmsErrorPublic,
            "description": (
                "sms_code_wrong（附 tries_left）/ sms_code_expired / sms_code_locked / "
                "sms_code_not_sent / uscc_invalid / registry_mismatch / invalid_input / "
                "idempotency_key_reused"
            ),
        },
    },
)
def create_registration(
    body: RegistrationCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> JSONResponse:
    status_code, reply = registration_service.register(
        session,
        channel=chat_user.channel,
        user_id=chat_user.user_id,
        data=body,
        idempotency_key=idempotency_key,
        now=now,
    )
    return JSONResponse(reply, status_code=status_code)


dev_router = APIRouter(prefix="/dev", tags=["开发"])


@dev_router.get(
    "/sms-outbox",
    summary="开发用短信发件箱",
    description=(
        "仅当短信通道为开发用发件箱（SMS_PROVIDER=dev_outbox，默认）时可用，否则返回 404："
        "列出发给某手机号的短信及其中的验证码，供测试与本地演示读取。"
    ),
    response_model=SmsOutboxPublic,
    responses={404: {"model": ErrorPublic, "description": "not_found：未使用开发用发件箱"}},
)
def read_sms_outbox(
    phone: Annotated[str, Query(pattern=PHONE_PATTERN, description="手机号（11位）")],
    session: SessionDep,
    settings: SettingsDep,
) -> SmsOutboxPublic:
    if settings.sms_provider != sms.DEV_OUTBOX:
        raise AppError("not_found", "请求的地址不存在。", 404)
    return SmsOutboxPublic(
        items=[
            SmsOutboxItem(
                phone=mask_phone(message.phone),
                text=message.text,
                code=sms.code_in(message.text),
                sent_at=as_utc(message.sent_at),
            )
            for message in sms.outbox(session, phone)
        ]
    )
