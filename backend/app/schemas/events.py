"""推广活动: events, their live statistics and their registrations (for staff)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from app.enums import BindingRole

CHINA_TIME = timezone(timedelta(hours=8))


def _china_time_if_naive(value: datetime) -> datetime:
    """A time without a zone is Beijing time: that is what staff type."""
    return value.replace(tzinfo=CHINA_TIME) if value.tzinfo is None else value


def _text_only(value: object) -> object:
    """ISO 8601 text only: a bare number would be read as seconds since 1970."""
    if isinstance(value, int | float):
        raise ValueError("时间应为 ISO 8601 文本，如 2026-07-08T09:00:00+08:00")
    return value


EventTime = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_china_time_if_naive)]


class EventCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(
        min_length=1, max_length=100, description="活动名称", examples=["示范市政银企对接会"]
    )
    place: str = Field(
        min_length=1, max_length=200, description="活动地点", examples=["示范市会展中心二号厅"]
    )
    starts_at: EventTime = Field(
        description="开始时间（ISO 8601；不带时区时按北京时间）",
        examples=["2026-07-08T09:00:00+08:00"],
    )
    ends_at: EventTime = Field(
        description="结束时间（须晚于开始时间）", examples=["2026-07-08T17:00:00+08:00"]
    )


class EventPublic(BaseModel):
    id: int = Field(description="活动编号")
    code: str = Field(
        description="活动码：放进活动二维码场景值与 H5 链接，注册时作为 event_code 传回"
    )
    name: str = Field(description="活动名称")
    place: str = Field(description="活动地点")
    starts_at: datetime = Field(description="开始时间（UTC）")
    ends_at: datetime = Field(description="结束时间（UTC）")
    created_by: str = Field(description="创建活动的坐席登录名")
    created_at: datetime = Field(description="创建时间（UTC）")
    h5_url: str = Field(
        description="活动的 H5 链接：在城市 App 中打开即开始记入该活动的实名注册（印成二维码用）"
    )
    wechat_scene: str = Field(
        description="微信带参数二维码的场景值 event_<活动码>：扫码关注或进入公众号即开始注册"
    )


class EventList(BaseModel):
    items: list[EventPublic] = Field(description="推广活动，开始时间晚的在前（最多 200 个）")


class EventStatsPublic(BaseModel):
    event: EventPublic = Field(description="活动")
    registrations: int = Field(description="通过该活动完成的实名注册数")
    enterprises: int = Field(description="通过该活动注册的企业数（去重）")
    authorizations: int = Field(description="这些企业自经该活动注册起作出的授权数（含之后撤回的）")
    applications: int = Field(description="这些企业自经该活动注册起提交的产品申请数")
    last_registered_at: datetime | None = Field(
        description="最近一次注册的时间（UTC）；尚无则为 null"
    )


class EventRegistrationPublic(BaseModel):
    registered_at: datetime = Field(description="注册时间（UTC）")
    enterprise_name: str = Field(description="企业名称")
    uscc: str = Field(description="统一社会信用代码")
    person_name: str = Field(description="办理人姓名（已脱敏）")
    role: BindingRole = Field(description="办理人身份")
    phone: str = Field(description="手机号（已脱敏）")


class EventRegistrationList(BaseModel):
    items: list[EventRegistrationPublic] = Field(
        description="该活动的注册，最新的在前（最多 500 条）"
    )


class WeChatQrCodePublic(BaseModel):
    url: str = Field(description="二维码内容（微信返回的链接）；用微信扫描即进入公众号并开始注册")
    ticket: str = Field(description="微信二维码 ticket，可用于 mp.weixin.qq.com/cgi-bin/showqrcode")
    expires_at: datetime = Field(description="二维码失效时间（UTC）：活动结束一天后，最长 30 天")
    png_url: str = Field(
        description="同一二维码的 PNG 图片地址（本接口的 /png 子路径，需坐席令牌）"
    )
