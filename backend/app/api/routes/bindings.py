from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import SessionDep
from app.schemas import BindingCreate, BindingPublic, BoundEnterprisePublic, ErrorPublic
from app.services.bindings import bind_enterprise

router = APIRouter(prefix="/bindings", tags=["实名注册"])


@router.post(
    "",
    summary="实名核验并绑定企业",
    description=(
        "规范化并校验统一社会信用代码（GB 32100-2015 校验码），与市场主体登记信息核对企业名称；"
        "身份为法定代表人时同时核对法定代表人姓名。核验通过后（首次时创建平台企业）绑定会话用户。"
        "重复提交返回已有绑定：首次 201、`created: true`；再次 200、`created: false`。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=BindingPublic,
    responses={
        200: {"model": BindingPublic, "description": "此前已绑定，返回原绑定"},
        404: {"model": ErrorPublic, "description": "registry_not_found：登记信息中无此代码"},
        422: {
            "model": ErrorPublic,
            "description": "uscc_invalid / registry_mismatch / invalid_input",
        },
    },
)
def create_binding(body: BindingCreate, session: SessionDep, response: Response) -> BindingPublic:
    outcome = bind_enterprise(session, body)
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    ent = outcome.enterprise
    return BindingPublic(
        created=outcome.created,
        enterprise=BoundEnterprisePublic(
            id=ent.id,
            name=ent.name,
            uscc=ent.uscc,
            is_individual_business=ent.is_individual_business,
            role=outcome.role,
        ),
    )
