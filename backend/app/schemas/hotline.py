"""Shapes of the hotline console's API (坐席助手): look-ups by ticket number and by USCC, the
objection queue, and the script assistant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.enums import DataCategory
from app.models.tickets import TicketStatus
from app.schemas import EnterprisePublic, EvaluationPublic
from app.schemas.authorization import Text, UtcDateTime
from app.schemas.credit import CategoryRecords, RegistrationPublic
from app.schemas.tickets import RecordBrief, TicketPublic

FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class StaffTicketPublic(TicketPublic):
    enterprise: EnterprisePublic | None = Field(description="所涉企业；转人工未注明企业时为 null")
    channel: str = Field(description="提交人所在渠道（wechat、h5 …），状态变化的通知经它送达")
    overdue: bool = Field(
        description="异议申诉：已过转交期限仍未转交省级节点（状态仍为已提交）；其他工单为 false"
    )
    next_statuses: list[TicketStatus] = Field(description="当前状态可以改为的下一步状态")


class StaffEnterprisePublic(BaseModel):
    registration: RegistrationPublic = Field(description="登记信息（公开；法定代表人姓名已脱敏）")
    registered_on_platform: bool = Field(description="企业是否已在平台实名注册")
    enterprise: EnterprisePublic | None = Field(description="平台企业；未注册时为 null")
    evaluation: EvaluationPublic | None = Field(
        description=(
            "最新的基础性信用评价（等级与依据；依据只含可向平台服务台显示的条目）；"
            "尚未评价时为 null"
        )
    )
    evaluation_reasons_withheld: int = Field(
        ge=0, description="评价依据中因涉及未授权的非公开类别而未显示的条数"
    )
    white_list: bool = Field(description="是否列入融资白名单")
    public: list[CategoryRecords] = Field(
        description="公开信用信息，按类别（含 0 条的类别）；已过公示期的记录不再提供"
    )
    authorized_categories: list[DataCategory] = Field(
        description="企业有效授权中明确列入平台服务台的非公开数据类别；无此授权时为空"
    )
    withheld_categories: list[DataCategory] = Field(
        description="未授权平台服务台、坐席看不到的非公开数据类别"
    )
    non_public: list[CategoryRecords] = Field(
        description="经授权提供给平台服务台的非公开信用信息，按类别；无授权时为空"
    )
    authorization_expires_at: UtcDateTime | None = Field(
        description="覆盖平台服务台的有效授权中最晚的到期时间；无授权时为 null"
    )


class ObjectionQueueItem(BaseModel):
    number: str = Field(description="工单号")
    status: TicketStatus = Field(description="当前状态")
    enterprise: EnterprisePublic | None = Field(description="所涉企业")
    record: RecordBrief | None = Field(description="有异议的信用记录（标题已脱敏）")
    reason: str | None = Field(description="异议理由")
    created_at: datetime = Field(description="提交时间（UTC）")
    forward_deadline: date | None = Field(
        description="转交省级节点的期限（提交日之后第 2 个工作日，中国工作日历）"
    )
    forwarded: bool = Field(description="是否已转交省级节点（状态已过“已提交”）")
    overdue: bool = Field(description="已过转交期限仍未转交")
    next_statuses: list[TicketStatus] = Field(description="当前状态可以改为的下一步状态")


class ObjectionQueue(BaseModel):
    today: date = Field(description="判断逾期所用的日期（中国日历日）")
    overdue_count: int = Field(ge=0, description="逾期未转交的工单数")
    items: list[ObjectionQueueItem] = Field(
        description="未办结的异议申诉：逾期的在前，再按转交期限、提交时间先后"
    )


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class FlowState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow: str | None = Field(
        default=None,
        pattern=FIELD_PATTERN,
        description="本次通话正在办理的业务（上一轮返回的 flow_state.flow）；新来电为 null",
        examples=["registration"],
    )
    collected: Annotated[
        list[Annotated[str, Field(pattern=FIELD_PATTERN)]], AfterValidator(_unique)
    ] = Field(
        default_factory=list,
        max_length=40,
        description="已问到的事项（上一轮返回的，或坐席手动勾选的），只传事项名，不传内容",
        examples=[["company_name", "uscc"]],
    )


class AssistCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(
        min_length=1,
        max_length=500,
        description="来电人刚说的话（坐席录入）",
        examples=["我想给公司做个信用自查"],
    )
    flow_state: FlowState = Field(
        default_factory=FlowState, description="本次通话的状态；由控制台保存并原样回传"
    )


class IntentScore(BaseModel):
    name: str = Field(description="意图名（如 credit_check）")
    label: str | None = Field(description="意图的中文名称；无对应业务时为 null")
    confidence: float = Field(ge=0, le=1, description="置信度 0–1")


class EntityFound(BaseModel):
    entity: str = Field(description="实体类型，如 uscc、phone、ticket_id")
    value: str = Field(description="识别出的值")
    text: str = Field(description="来电人原话中的那一段")


class ChecklistItemPublic(BaseModel):
    field: str = Field(description="事项名")
    label: str = Field(description="事项的中文名称")
    done: bool = Field(description="是否已问到")
    script: str = Field(description="问这一项时的话术")


class FlowPublic(BaseModel):
    key: str = Field(description="业务代码，如 registration")
    title: str = Field(description="业务名称，如 实名注册")
    switched: bool = Field(description="本轮是否切换到了这项业务（清单从头开始）")
    done_script: str = Field(description="清单全部问到后的话术")


class AssistPublic(BaseModel):
    intent: IntentScore | None = Field(description="识别出的意图；无法识别时为 null")
    confident: bool = Field(description="置信度是否达到切换业务的阈值；否则话术会先请来电人确认")
    ranking: list[IntentScore] = Field(description="可能性最高的 3 个意图")
    entities: list[EntityFound] = Field(description="本轮识别出的实体（去重）")
    faq_key: str | None = Field(description="政策问答的主题（如 faq/is_query_free）；非问答为 null")
    flow: FlowPublic | None = Field(description="当前办理的业务；没有时为 null")
    script: str = Field(description="坐席接下来对来电人说的话（话术）")
    hint: str | None = Field(
        description="给坐席的补充：政策问答的答案、寒暄的回应或需确认的意图；没有时为 null"
    )
    next_field: str | None = Field(description="话术所问的事项；清单已齐或无业务时为 null")
    checklist: list[ChecklistItemPublic] = Field(description="这项业务的全部事项及是否已问到")
    missing: list[str] = Field(description="仍缺的事项（中文名称），按询问顺序")
    flow_state: FlowState = Field(description="新的通话状态，下一轮原样回传")
