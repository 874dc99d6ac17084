from __future__ import annotations

from app.api.deps import CityDep, SessionDep
from app.api.routing import APIRouter
from app.schemas import CityPublic, InstitutionBrief, ProductBrief
from app.services import city as city_service

router = APIRouter(tags=["城市"])


@router.get(
    "/city",
    summary="城市与平台信息",
    description="当前城市名称、平台名称、服务热线，以及已载入的接入机构和在售产品。",
    response_model=CityPublic,
)
def get_city(session: SessionDep, city: CityDep) -> CityPublic:
    return CityPublic(
        city_name=city.city_name,
        platform_name=city.platform_name,
        hotline=city.hotline,
        institutions=[
            InstitutionBrief(id=i.id, name=i.name) for i in city_service.list_institutions(session)
        ],
        products=[
            ProductBrief(id=p.id, name=p.name, institution=p.institution.name)
            for p in city_service.list_active_products(session)
        ],
    )
