"""Shapes of objections (异议申诉), credit repairs (信用修复), hand-offs (转人工), ticket progress,
finding a record from free text, and notifications to users."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.enums import CreditCategory, RecordStatus
from app.models.tickets import ObjectionReason, TicketKind, TicketStatus

MOBILE_PATTERN = r"^1[3-9]\d{9}$"
# Ids are 32-bit integers in the database; a larger one is bad input, not a database error.
MAX_ID = 2_147_483_647
_PHONE_NOISE = re.compile(r"[\s\-()]")


def _normalize_phone(value: object) -> object:
    """Full-width digits, spaces, dashes and a +86 / 86 prefix are what people type on a phone."""
    if not isinstance(value, str):
        return value
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


MobilePhone = Annotated[
    str,
    BeforeValidator(_normalize_phone),
    Field(
        pattern=MOBILE_PATTERN,
        description="联系电话（11 位手机号；可含空格、短横线或 +86）",
        examples=["13812345678"],
    ),
]


class EvidenceRef(BaseModel):
    """A piece of evidence the backend holds: a file uploaded through POST /evidence-files by the
    channel (a WeChat image it downloaded, an H5 upload)."""

    type: Literal["upload"] = Field(
        description="来源：upload（经 POST /api/v1/evidence-files 上传并由平台保存的文件）"
    )
    id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="证明材料编号（上传时返回，须为同一会话用户上传）",
        examples=["ev_3f2a9c0d4b5e46f7a8b9c0d1e2f3a4b5"],
    )


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    record_id: int = Field(
        ge=1, le=MAX_ID, description="要申诉的信用记录编号（来自信用自查或记录查找）"
    )
    reason: ObjectionReason = Field(
        description="异议理由：信息错误 / 已履行或已整改 / 非本企业 / 已修复未更新 / 其他"
    )
    description: str = Field(
        min_length=1, max_length=1000, description="情况说明（用户自己的话；个人信息会脱敏保存）"
    )
    evidence: list[EvidenceRef] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "证明材料，最多 20 份，须为该会话用户上传的文件（POST /evidence-files）；可以为空"
        ),
    )
    contact_phone: MobilePhone


class RepairCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    record_id: int = Field(
        ge=1, le=MAX_ID, description="要修复的信用记录编号（行政处罚或严重失信名单）"
    )
    commitment_version: str = Field(
        min_length=1,
        max_length=20,
        description="用户阅读并确认的信用承诺书版本（来自 GET /repairs/commitment）",
        examples=["v1"],
    )
    commitment_accepted: bool = Field(description="用户是否明确确认信用承诺书，必须为 true")
    proof: list[EvidenceRef] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "整改证明材料（缴款凭证、整改报告等），最多 20 份，须为该会话用户上传的文件；"
            "与整改情况说明至少提供一项"
        ),
    )
    proof_description: str = Field(
        default="",
        max_length=1000,
        description=(
            "整改情况的文字说明（如缴款日期、凭证号、整改措施），没有图片或文件时作为证明；"
            "与证明材料至少提供一项；个人信息会脱敏保存"
        ),
        examples=["罚款已于2026年6月1日缴清，缴款书号 3201260601001，整改报告已报生态环境局"],
    )
    contact_phone: MobilePhone


class HandoffCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    summary: str = Field(
        min_length=1,
        max_length=4000,
        description="对话摘要，供热线坐席了解情况；身份证号、手机号、姓名会先脱敏再保存",
    )
    enterprise_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="所涉企业的平台编号（须为该用户已绑定的企业），可不填",
    )
    contact_phone: MobilePhone | None = Field(
        default=None, description="希望坐席回电的手机号，可不填"
    )


class TicketStatusUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    status: TicketStatus = Field(description="新状态，须是当前状态允许的下一步")
    note: str | None = Field(
        default=None, max_length=500, description="说明，会随通知发给用户（个人信息会脱敏）"
    )


class RecordBrief(BaseModel):
    id: int = Field(description="信用记录编号")
    category: CreditCategory = Field(description="信息类别")
    title: str = Field(description="标题（个人信息已脱敏）")
    decided_on: date = Field(description="决定/认定日期")
    status: RecordStatus = Field(description="记录状态：正常 / 异议处理中")


class TicketEventPublic(BaseModel):
    from_status: TicketStatus | None = Field(description="原状态；新建时为 null")
    to_status: TicketStatus = Field(description="新状态")
    at: datetime = Field(description="变更时间（UTC）")
    by: str = Field(description="由谁变更：本人 / 平台工作人员 / 系统")
    note: str | None = Field(description="说明（个人信息已脱敏）")


class TicketSummary(BaseModel):
    number: str = Field(description="工单号：YY（异议）/XF（修复）/RG（转人工）+ 日期 + 当日序号")
    kind: TicketKind = Field(description="工单类型")
    status: TicketStatus = Field(description="当前状态")
    open: bool = Field(description="是否仍在办理（未出结果）")
    enterprise_id: int | None = Field(description="所涉企业编号")
    record: RecordBrief | None = Field(description="所涉信用记录；转人工为 null")
    forward_deadline: date | None = Field(
        description="异议申诉转交省级节点的期限（提交日之后第 2 个工作日）；其他工单为 null"
    )
    created_at: datetime = Field(description="提交时间（UTC）")
    updated_at: datetime = Field(description="最近一次状态变化（UTC）")
    closed_at: datetime | None = Field(description="出结果（办结）的时间；未办结为 null")


class TicketPublic(TicketSummary):
    reason: ObjectionReason | None = Field(description="异议理由；其他工单为 null")
    description: str = Field(description="情况说明或对话摘要（个人信息已脱敏）")
    evidence: list[EvidenceRef] = Field(description="证明材料（信用修复为整改证明）")
    contact_phone: str | None = Field(description="联系电话（脱敏）")
    commitment_version: str | None = Field(description="信用修复：已确认的信用承诺书版本")
    history: list[TicketEventPublic] = Field(description="状态变化记录，按时间先后")


class TicketCreated(BaseModel):
    created: bool = Field(
        description="true：本次新建；false：该记录已有未办结的同类工单，返回的是那张工单"
    )
    ticket: TicketPublic = Field(description="工单详情")


class TicketList(BaseModel):
    items: list[TicketSummary] = Field(description="该用户的工单：办理中的在前，再按提交时间倒序")


class RecordCandidate(BaseModel):
    id: int = Field(description="信用记录编号（申诉或修复时填 record_id）")
    category: CreditCategory = Field(description="信息类别")
    title: str = Field(description="标题（个人信息已脱敏）")
    content: str = Field(description="内容（个人信息已脱敏）")
    authority: str = Field(description="认定/提供单位")
    decided_on: date = Field(description="决定/认定日期")
    document_no: str | None = Field(description="决定书/文书编号")
    amount: Decimal | None = Field(description="涉及金额（元），字符串形式")
    status: RecordStatus = Field(description="记录状态：正常 / 异议处理中")
    repairable_after: date | None = Field(description="可申请信用修复的日期（最短公示期满）")
    score: int = Field(description="匹配得分，越高越可能是用户说的那条")
    matched: list[str] = Field(description="命中的词语，说明为什么推荐这条")


class RecordSearchResult(BaseModel):
    categories: list[CreditCategory] = Field(description="从描述中识别出的信息类别，按可能性排序")
    items: list[RecordCandidate] = Field(description="候选记录，最可能的在前；没有匹配时为空")


class CommitmentPublic(BaseModel):
    version: str = Field(description="信用承诺书版本，申请修复时作为 commitment_version 提交")
    text: str = Field(description="信用承诺书全文（已填入本市平台名称与热线）")


class NotificationPublic(BaseModel):
    id: int = Field(description="通知编号，送达后用它确认")
    channel: str = Field(description="送达渠道")
    user_id: str = Field(description="渠道内的用户标识（如微信 openid），只用于投递")
    number: str = Field(description="相关工单号（YY/XF/RG…）或产品申请编号（SQ…）")
    text: str = Field(description="通知内容（中文）")
    created_at: datetime = Field(description="生成时间（UTC）")


class NotificationList(BaseModel):
    items: list[NotificationPublic] = Field(description="待送达的通知，先生成的在前")


class NotificationDelivered(BaseModel):
    id: int = Field(description="通知编号")
    delivered_at: datetime = Field(description="确认送达时间（UTC）；重复确认返回首次时间")
