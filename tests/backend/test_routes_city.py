from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.city import CityConfig
from app.models import Institution, Product
from app.seed import DemoEnterprise


def test_city(
    client: TestClient,
    city: CityConfig,
    session: Session,
    demo_city: tuple[DemoEnterprise, ...],
) -> None:
    response = client.get("/api/v1/city")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"city_name", "platform_name", "hotline", "institutions", "products"}
    assert body["city_name"] == city.city_name == "示范市"
    assert body["platform_name"] == city.platform_name
    assert body["hotline"] == city.hotline

    institutions = {i.id: i.name for i in session.scalars(select(Institution))}
    assert {i["id"]: i["name"] for i in body["institutions"]} == institutions
    assert len(institutions) == len(city.institutions)

    products = {p.name: p for p in session.scalars(select(Product))}
    assert [p["name"] for p in body["products"]] == [p.name for p in city.products]
    for item in body["products"]:
        assert set(item) == {"id", "name", "institution"}
        assert item["id"] == products[item["name"]].id
        assert item["institution"] == institutions[products[item["name"]].institution_id]
    assert next(p for p in body["products"] if p["name"] == "常信贷")["institution"] == (
        "示范市农村商业银行"
    )


def test_city_before_seeding_has_empty_catalogue(client: TestClient) -> None:
    body = client.get("/api/v1/city").json()
    assert body["city_name"] == "示范市"
    assert body["institutions"] == [] and body["products"] == []
