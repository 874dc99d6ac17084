"""The hotline console's API (坐席助手): look-ups by ticket number and by USCC, the objection queue
and the script assistant. Staff token (StaffDep); 坐席 and 管理员 alike. Status changes are
POST /staff/tickets/{number}/status (routes/tickets.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from app.api.deps import CityDep, NowDep, SessionDep, SettingsDep, StaffDep
from app.api.routing import APIRouter
from app.models import Ticket
from app.models.tickets import TicketStatus
from app.schemas import EnterprisePublic, ErrorPublic, EvaluationPublic
from app.schemas.credit import categories_public, registration_public
from app.schemas.hotline import (
    AssistCreate,
    AssistPublic,
    ChecklistItemPublic,
    EntityFound,
    FlowPublic,
    FlowState,
    IntentScore,
    ObjectionQueue,
    ObjectionQueueItem,
    StaffEnterprisePublic,
    StaffTicketPublic,
)
from app.services import assist
from app.services import hotline as service
from app.services.tickets import allowed_next, ticket_public
from app.services.working_days import china_date

router = APIRouter(prefix="/staff", tags=["坐席"])

# `str`, not `str | None`: absent means the default purpose (the routes' None); OpenAPI offers
# no `null`, which a query string cannot carry.
Purpose = Annotated[
    str,
    Query(
        max_length=100,
        description="查询目的（2–100 字，写入审计日志）；不填为“热线来电咨询”",
        examples=["热线来电咨询"],
    ),
]


def _enterprise(ticket: Ticket) -> EnterprisePublic | None:
    return EnterprisePublic.model_validate(ticket.enterprise) if ticket.enterprise else None


@router.get(
    "/tickets/{number}",
    summary="按工单号查询（坐席）",
    description=(
        "坐席在通话中按工单号查询任一工单（异议申诉、信用修复、转人工）：当前状态、状态变化记录、"
        "异议申诉的转交期限及是否逾期、所涉企业、可改为的下一步状态；联系电话与说明已脱敏。"
        "每次查询写入审计日志（坐席、工单、目的、时间）；查不到时 404，不写审计。"
    ),
    response_model=StaffTicketPublic,
    responses={404: {"model": ErrorPublic, "description": "ticket_not_found：没有这个工单"}},
)
def get_ticket(
    number: Annotated[
        str, Path(min_length=1, max_length=40, description="工单号，如 YY202606300001")
    ],
    staff: StaffDep,
    session: SessionDep,
    now: NowDep,
    purpose: Purpose = None,
) -> StaffTicketPublic:
    ticket = service.lookup_ticket(session, staff.username, number, purpose, now=now)
    return StaffTicketPublic(
        **ticket_public(ticket).model_dump(),
        enterprise=_enterprise(ticket),
        channel=ticket.chat_user.channel,
        overdue=service.is_overdue(ticket, china_date(now)),
        next_statuses=list(allowed_next(ticket)),
    )


@router.get(
    "/enterprises/{uscc}",
    summary="按统一社会信用代码查询企业（坐席）",
    description=(
        "公开信息始终提供：登记信息（法定代表人姓名脱敏）、基础性信用评价与白名单、仍在公示期内的"
        "公开信用信息；评价依据中涉及未授权非公开类别（如纳税等级、欠缴）的条目不显示。非公开信息只在企业的有效授权中明确列入平台服务台（platform_service_desk）"
        "时按授权类别提供；授权“全部接入机构”不含平台服务台。每次查询写入审计日志"
        "（坐席、企业、目的、看到的非公开类别、时间）。代码格式或校验位错误 422，"
        "平台没有该市场主体 404。"
    ),
    response_model=StaffEnterprisePublic,
    responses={
        404: {"model": ErrorPublic, "description": "enterprise_not_found：平台没有该市场主体"},
        422: {"model": ErrorPublic, "description": "uscc_invalid / purpose_invalid"},
    },
)
def get_enterprise(
    uscc: Annotated[
        str,
        Path(min_length=1, max_length=64, description="统一社会信用代码（可含空格、短横线、小写）"),
    ],
    staff: StaffDep,
    session: SessionDep,
    now: NowDep,
    purpose: Purpose = None,
) -> StaffEnterprisePublic:
    found = service.lookup_enterprise(session, staff.username, uscc, purpose, now=now)
    view, names = found.view, found.view.person_names
    evaluation = found.evaluation
    return StaffEnterprisePublic(
        registration=registration_public(view.entity),
        registered_on_platform=view.enterprise is not None,
        enterprise=EnterprisePublic.model_validate(view.enterprise) if view.enterprise else None,
        evaluation=(
            EvaluationPublic(
                grade=evaluation.grade,
                reasons=found.reasons,
                evaluated_on=evaluation.evaluated_on,
            )
            if evaluation
            else None
        ),
        evaluation_reasons_withheld=found.reasons_withheld,
        white_list=view.entity.white_listed,
        public=categories_public(view.public, names),
        authorized_categories=view.authorized,
        withheld_categories=view.withheld,
        non_public=categories_public(view.non_public, names),
        authorization_expires_at=view.authorization_expires_at,
    )


@router.get(
    "/objections/queue",
    summary="异议申诉转交队列（坐席）",
    description=(
        "未办结的异议申诉及其转交省级节点的期限（提交日之后第 2 个工作日，按中国法定节假日与调休"
        "计算）：逾期未转交的在前（`overdue`），再按期限、提交时间先后。坐席用“变更工单状态”"
        "推进，用户会在其渠道收到通知。查看队列写入审计日志。"
    ),
    response_model=ObjectionQueue,
)
def get_objection_queue(
    staff: StaffDep,
    session: SessionDep,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=service.QUEUE_LIMIT, description="最多返回条数")] = 200,
) -> ObjectionQueue:
    today, entries = service.objection_queue(session, staff.username, now=now, limit=limit)
    items = []
    for entry in entries:
        ticket = entry.ticket
        summary = ticket_public(ticket)
        items.append(
            ObjectionQueueItem(
                number=ticket.number,
                status=summary.status,
                enterprise=_enterprise(ticket),
                record=summary.record,
                reason=ticket.reason,
                created_at=summary.created_at,
                forward_deadline=ticket.forward_deadline,
                forwarded=ticket.status != TicketStatus.SUBMITTED.value,
                overdue=entry.overdue,
                next_statuses=list(entry.next_statuses),
            )
        )
    return ObjectionQueue(today=today, overdue_count=sum(e.overdue for e in entries), items=items)


@router.post(
    "/assist",
    summary="话术助手（坐席）",
    description=(
        "坐席录入来电人刚说的话，后端调用 Rasa 的 /model/parse 识别意图"
        "（含置信度、前 3 名和实体），并按话术库给出这项业务下一步要问的话术和仍缺的事项清单。"
        "通话状态（业务与已问到的事项）"
        "由控制台保存：每轮原样回传上一轮的 `flow_state`，坐席手动勾选的事项也放进 `collected`。"
        "置信度低时不切换业务，话术先请来电人确认。Rasa 不可用时 503 `rasa_unavailable`。"
        "录入的话不写入日志或审计。"
    ),
    response_model=AssistPublic,
    responses={
        422: {"model": ErrorPublic, "description": "flow_unknown / invalid_input"},
        503: {"model": ErrorPublic, "description": "rasa_unavailable：语义理解服务不可用"},
    },
)
async def post_assist(
    body: AssistCreate,
    request: Request,
    staff: StaffDep,
    settings: SettingsDep,
    city: CityDep,
) -> AssistPublic:
    # async: the only wait is Rasa, on the event loop; no database work after the staff check.
    book: assist.ScriptBook = request.app.state.script_book
    assist.check_flow(book, body.flow_state.flow)  # before asking Rasa for nothing
    understanding = assist.understanding_from(await assist.parse(settings, body.text))
    advice = assist.advise(
        book,
        understanding,
        flow=body.flow_state.flow,
        collected=body.flow_state.collected,
        city=city,
    )

    def score(name: str, confidence: float) -> IntentScore:
        return IntentScore(
            name=name, label=book.intent_labels.get(name), confidence=min(max(confidence, 0), 1)
        )

    return AssistPublic(
        intent=score(understanding.intent, understanding.confidence)
        if understanding.intent
        else None,
        confident=advice.confident,
        ranking=[score(name, confidence) for name, confidence in understanding.ranking],
        entities=[
            EntityFound(entity=e.entity, value=e.value, text=e.text) for e in understanding.entities
        ],
        faq_key=understanding.faq_key,
        flow=FlowPublic(
            key=advice.flow,
            title=advice.flow_title or "",
            switched=advice.switched,
            done_script=advice.done_script or "",
        )
        if advice.flow
        else None,
        script=advice.script,
        hint=advice.hint,
        next_field=advice.next_field,
        checklist=[
            ChecklistItemPublic(field=i.field, label=i.label, done=i.done, script=i.script)
            for i in advice.checklist
        ],
        missing=[i.label for i in advice.checklist if not i.done],
        flow_state=FlowState(flow=advice.flow, collected=list(advice.collected)),
    )
