"""实名注册: SMS verification codes, the registration itself, and the development SMS outbox."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.enums import BindingRole
from app.schemas import BoundEnterprisePublic, ErrorPublic

PHONE_PATTERN = r"^1[3-9]\d{9}$"
SMS_CODE_PATTERN = r"^\d{6}$"
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−()]+")


def _normalize_phone(value: object) -> object:
    """Full-width digits, spaces, dashes and a +86/0086 country prefix, as people type them."""
    if not isinstance(value, str):
        return value
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    if len(text) == 13 and text.startswith("86"):
        return text[2:]
    return text


def _normalize_digits(value: object) -> object:
    if not isinstance(value, str):
        return value
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))


# Field before BeforeValidator: the constraints stay on the string, so errors name them
# (string_too_short, string_pattern_mismatch) and get their Chinese sentences.
Phone = Annotated[
    str,
    Field(
        min_length=1,
        pattern=PHONE_PATTERN,
        description="手机号（11位，1[3-9]开头）；可带空格、短横线或 +86，服务端先规范化",
        examples=["13812345678"],
    ),
    BeforeValidator(_normalize_phone),
]


class SmsCodeCreate(BaseModel):
    phone: Phone


class SmsCodeSentPublic(BaseModel):
    phone: str = Field(description="接收验证码的手机号（已脱敏，如 138****5678）")
    expires_at: datetime = Field(description="验证码过期时间（UTC）")
    expires_in_seconds: int = Field(description="验证码有效期（秒），即 5 分钟")
    resend_after_seconds: int = Field(description="多少秒后才能再次获取验证码")
    max_attempts: int = Field(description="验证码最多可输错的次数")


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    uscc: str = Field(
        min_length=1,
        max_length=64,
        description="统一社会信用代码；可含全角字符、小写字母、空格和短横线，服务端会先规范化再校验",
        examples=["91329901MA1GY0017X"],
    )
    enterprise_name: str = Field(
        min_length=1, max_length=200, description="企业名称（与营业执照一致）"
    )
    person_name: str = Field(min_length=1, max_length=50, description="办理人姓名")
    role: BindingRole = Field(description="办理人身份：法定代表人 或 经办人")
    phone: Phone
    sms_code: Annotated[
        str,
        Field(
            min_length=1,
            pattern=SMS_CODE_PATTERN,
            description="发到该手机号的 6 位短信验证码",
            examples=["123456"],
        ),
        BeforeValidator(_normalize_digits),
    ]
    event_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="推广活动码（扫活动二维码进入注册时携带）；没有则省略",
        examples=["k7m2q9xa"],
    )


class UsccCheckCreate(BaseModel):
    uscc: str = Field(
        min_length=1,
        max_length=64,
        description="用户输入的统一社会信用代码（可含全角字符、小写字母、空格和短横线）",
        examples=["9132 9901-ma1gy0017x"],
    )


class UsccCheckPublic(BaseModel):
    uscc: str = Field(description="规范化后的代码（18位，校验码正确）")
    is_individual_business: bool = Field(description="“92”开头：个体工商户")


class EventBrief(BaseModel):
    code: str = Field(description="活动码")
    name: str = Field(description="活动名称")


class RegistrationPublic(BaseModel):
    created: bool = Field(description="true 表示本次新建绑定；false 表示此前已绑定，返回原绑定")
    enterprise: BoundEnterprisePublic = Field(description="绑定的企业及该用户的身份")
    phone: str | None = Field(
        description="注册时验证过的手机号（已脱敏）；早于短信注册的旧绑定为 null"
    )
    event: EventBrief | None = Field(description="注册所属的推广活动；不是从活动进入的为 null")
    registered_at: datetime | None = Field(description="注册（绑定）时间（UTC）")


class SmsErrorPublic(ErrorPublic):
    tries_left: int | None = Field(
        default=None, description="sms_code_wrong：这个验证码还可以再输错几次"
    )
    retry_after_seconds: int | None = Field(
        default=None, description="sms_cooldown：还要等多少秒才能再次获取验证码"
    )


class SmsOutboxItem(BaseModel):
    phone: str = Field(description="收信手机号（已脱敏）")
    text: str = Field(description="短信全文")
    code: str | None = Field(description="从短信中取出的 6 位验证码；不是验证码短信则为 null")
    sent_at: datetime = Field(description="发送时间（UTC）")


class SmsOutboxPublic(BaseModel):
    items: list[SmsOutboxItem] = Field(description="发给该手机号的短信，最新的在前（最多 20 条）")
