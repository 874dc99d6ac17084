"""Shapes of product applications (产品申请), their history and the institution's feedback."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from app.enums import ApplicationStatus
from app.masking import mask_phone
from app.models import Application
from app.schemas.authorization import Text, UtcDateTime

# Ids are 32-bit integers in the database: a larger one is bad input, not a database error.
MAX_ID = 2_147_483_647
# Application numbers are SQ + 12 digits; letters and digits only, so the path never reaches the
# database with anything odd in it.
NUMBER_PATTERN = r"^[A-Za-z0-9]{1,32}$"


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    product_code: Text = Field(
        min_length=1,
        max_length=50,
        description="产品代码（见 /products），也可以是产品名称，如 常信贷",
        examples=["changxindai"],
    )
    amount: Decimal = Field(
        gt=0,
        le=100_000,
        max_digits=10,
        decimal_places=2,
        description="申请金额（万元），须在产品额度范围内",
        examples=[100],
    )
    term_months: int = Field(
        ge=1, le=360, description="申请期限（月），须在产品期限范围内", examples=[12]
    )
    purpose: Text = Field(
        min_length=1, max_length=200, description="资金用途", examples=["购买原材料"]
    )
    contact_phone: Text = Field(
        min_length=1,
        max_length=32,
        description="联系手机号（11位，可带空格、短横线或 +86）；展示时脱敏",
        examples=["13812345678"],
    )


class ProductRef(BaseModel):
    code: str = Field(description="产品代码")
    name: str = Field(description="产品名称")


class InstitutionRef(BaseModel):
    code: str = Field(description="机构代码")
    name: str = Field(description="机构名称")


class FeedbackPublic(BaseModel):
    """融资成效：机构反馈的审批/放款结果。"""

    approved_amount: float | None = Field(description="审批金额（万元）")
    approved_rate: float | None = Field(description="年化利率（%）")
    approved_term_months: int | None = Field(description="期限（月）")
    note: str | None = Field(description="机构说明")


class StatusChangePublic(BaseModel):
    status: ApplicationStatus = Field(description="变更后的状态")
    at: UtcDateTime = Field(description="变更时间")
    by: str = Field(description="由谁变更：申请企业，或机构名称")
    note: str | None = Field(description="说明")


class ApplicationPublic(BaseModel):
    number: str = Field(
        description="申请编号：SQ + 年月日 + 当日4位序号", examples=["SQ202606300001"]
    )
    enterprise_id: int = Field(description="平台企业编号")
    enterprise_name: str = Field(description="企业名称")
    product: ProductRef = Field(description="申请的产品")
    institution: InstitutionRef = Field(description="受理机构")
    amount: float = Field(description="申请金额（万元）")
    term_months: int = Field(description="申请期限（月）")
    purpose: str = Field(description="资金用途")
    contact_phone: str = Field(description="联系电话（已脱敏）")
    status: ApplicationStatus = Field(description="已提交 / 机构受理 / 已审批 / 未通过 / 已放款")
    active: bool = Field(description="是否进行中（已提交、机构受理、已审批）")
    submitted_at: UtcDateTime = Field(description="提交时间")
    updated_at: UtcDateTime = Field(description="最近一次状态变化时间")
    feedback: FeedbackPublic | None = Field(description="融资成效；机构尚未反馈时为 null")
    history: list[StatusChangePublic] = Field(description="状态历史，按时间先后")


class ApplicationCreated(BaseModel):
    created: bool = Field(
        description="true：本次新建申请（201）；false：该产品已有进行中的申请，返回原申请（200）"
    )
    application: ApplicationPublic = Field(description="新建的申请，或该产品已有的进行中申请")


class ApplicationList(BaseModel):
    items: list[ApplicationPublic] = Field(description="申请，新的在前")


class StatusChangeCreate(BaseModel):
    """机构更新申请状态。已审批时须反馈审批金额、利率和期限（融资成效）。"""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    status: ApplicationStatus = Field(description="新状态：机构受理 / 已审批 / 未通过 / 已放款")
    note: Text | None = Field(default=None, max_length=500, description="说明，如未通过的原因")
    approved_amount: Decimal | None = Field(
        default=None,
        gt=0,
        le=100_000,
        max_digits=10,
        decimal_places=2,
        description="审批（放款）金额（万元）",
    )
    approved_rate: Decimal | None = Field(
        default=None, gt=0, le=36, max_digits=5, decimal_places=2, description="年化利率（%）"
    )
    approved_term_months: int | None = Field(
        default=None, ge=1, le=360, description="审批期限（月）"
    )


APPLICANT_LABEL = "申请企业"


def application_public(application: Application) -> ApplicationPublic:
    """The reply shape of an application: contact phone masked, history oldest first."""
    feedback = None
    if any(
        value is not None
        for value in (
            application.approved_amount,
            application.approved_rate,
            application.approved_term_months,
            application.feedback_note,
        )
    ):
        feedback = FeedbackPublic(
            approved_amount=None
            if application.approved_amount is None
            else float(application.approved_amount),
            approved_rate=None
            if application.approved_rate is None
            else float(application.approved_rate),
            approved_term_months=application.approved_term_months,
            note=application.feedback_note,
        )
    status = ApplicationStatus(application.status)
    return ApplicationPublic(
        number=application.number,
        enterprise_id=application.enterprise_id,
        enterprise_name=application.enterprise.name,
        product=ProductRef(code=application.product.code, name=application.product.name),
        institution=InstitutionRef(
            code=application.institution.code, name=application.institution.name
        ),
        amount=float(application.amount),
        term_months=application.term_months,
        purpose=application.purpose,
        contact_phone=mask_phone(application.contact_phone),
        status=status,
        active=status.is_active,
        submitted_at=application.created_at,
        updated_at=application.updated_at,
        feedback=feedback,
        history=[
            StatusChangePublic(
                status=ApplicationStatus(change.status),
                at=change.at,
                by=application.institution.name
                if change.actor_type == "institution"
                else APPLICANT_LABEL,
                note=change.note,
            )
            for change in application.history
        ],
    )
