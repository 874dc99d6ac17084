from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Binding, ChatUser, Enterprise
from app.seed import DemoEnterprise

BindFn = Callable[..., httpx.Response]

# A well-formed code with a correct check digit that the registry does not hold.
UNREGISTERED_USCC = "914403001922038216"


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Enterprise, ChatUser, Binding)
    )


def test_first_binding_creates_then_repeats_idempotently(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    green = demo_city[0]
    first = bind(green)
    assert first.status_code == 201
    body = first.json()
    assert body["created"] is True
    assert body["enterprise"] == {
        "id": body["enterprise"]["id"],
        "name": green.name,
        "uscc": green.uscc,
        "is_individual_business": False,
        "role": "法定代表人",
    }

    again = bind(green)
    assert again.status_code == 200
    assert again.json() == {**body, "created": False}
    assert _counts(session) == (1, 1, 1)


def test_repeat_with_other_role_returns_existing_binding(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    green = demo_city[0]
    assert bind(green).status_code == 201
    again = bind(green, role="经办人", person_name="王小二")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["enterprise"]["role"] == "法定代表人"


def test_uscc_and_name_are_normalised(bind: BindFn, demo_city: tuple[DemoEnterprise, ...]) -> None:
    green = demo_city[0]
    messy = green.uscc.lower()[:8] + " - " + green.uscc.lower()[8:]
    response = bind(
        green,
        uscc=messy.replace("9", "９"),
        enterprise_name=" 示范市 绿源科技有限公司 ",
        person_name="张 明华",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["enterprise"]["uscc"] == green.uscc


def test_individual_business_binding(bind: BindFn, demo_city: tuple[DemoEnterprise, ...]) -> None:
    diner = demo_city[1]
    response = bind(diner)
    assert response.status_code == 201
    assert response.json()["enterprise"]["is_individual_business"] is True


def test_agent_is_not_checked_against_legal_representative(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    response = bind(demo_city[2], role="经办人", person_name="赵会计")
    assert response.status_code == 201
    assert response.json()["enterprise"]["role"] == "经办人"


def test_several_users_share_one_enterprise(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    green = demo_city[0]
    a = bind(green, user_id="oUserA")
    b = bind(green, channel="app", user_id="oUserA", role="经办人", person_name="钱经办")
    assert a.status_code == b.status_code == 201
    assert a.json()["enterprise"]["id"] == b.json()["enterprise"]["id"]
    assert _counts(session) == (1, 2, 2)


def _assert_leaks_nothing(message: str, demo: DemoEnterprise) -> None:
    assert demo.name not in message
    assert demo.legal_representative not in message
    assert demo.uscc not in message


def test_name_mismatch_names_the_field(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    green = demo_city[0]
    response = bind(green, enterprise_name="示范市绿源环保科技有限公司")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "registry_mismatch"
    assert body["fields"] == ["enterprise_name"]
    assert "企业名称" in body["message"]
    assert "法定代表人" not in body["message"].split("。")[0]
    _assert_leaks_nothing(body["message"], green)
    assert _counts(session) == (0, 0, 0)


def test_legal_representative_mismatch_names_the_field(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    green = demo_city[0]
    response = bind(green, person_name="张明")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "registry_mismatch"
    assert body["fields"] == ["person_name"]
    assert "法定代表人姓名" in body["message"]
    assert "企业名称" not in body["message"]
    _assert_leaks_nothing(body["message"], green)


def test_individual_business_mismatch_says_operator(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    response = bind(demo_city[1], person_name="李秀")
    assert response.status_code == 422
    assert "经营者" in response.json()["message"]


def test_both_fields_mismatch(bind: BindFn, demo_city: tuple[DemoEnterprise, ...]) -> None:
    green = demo_city[0]
    response = bind(green, enterprise_name="别的公司", person_name="别人")
    body = response.json()
    assert response.status_code == 422
    assert body["fields"] == ["enterprise_name", "person_name"]
    assert "企业名称" in body["message"] and "法定代表人姓名" in body["message"]
    _assert_leaks_nothing(body["message"], green)


def test_mismatch_does_not_touch_an_existing_binding(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    green = demo_city[0]
    assert bind(green).status_code == 201
    assert bind(green, person_name="冒名者").status_code == 422
    assert _counts(session) == (1, 1, 1)


@pytest.mark.parametrize("demo_index", [0, 1])
def test_bad_check_digit(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session, demo_index: int
) -> None:
    demo = demo_city[demo_index]
    wrong = demo.uscc[:17] + ("1" if demo.uscc[17] != "1" else "2")
    response = bind(demo, uscc=wrong)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "uscc_invalid"
    assert body["fields"] == ["uscc"]
    assert "校验" in body["message"]
    assert _counts(session) == (0, 0, 0)


def test_wrong_length(bind: BindFn, demo_city: tuple[DemoEnterprise, ...]) -> None:
    response = bind(demo_city[0], uscc="91329901MA1GY")
    assert response.status_code == 422
    assert response.json()["code"] == "uscc_invalid"
    assert "18位" in response.json()["message"]


def test_unknown_registry(bind: BindFn, demo_city: tuple[DemoEnterprise, ...]) -> None:
    response = bind(demo_city[0], uscc=UNREGISTERED_USCC)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "registry_not_found"
    assert "登记" in body["message"]


VALID = {
    "channel": "wechat",
    "user_id": "oUser0001",
    "uscc": "91329901MA1GY0017X",
    "enterprise_name": "示范市绿源科技有限公司",
    "person_name": "张明华",
    "role": "法定代表人",
}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"role": "老板"}, "role", "身份只能是"),
        ({"role": None}, "role", "身份"),
        ({"uscc": None}, "uscc", "统一社会信用代码"),
        ({"enterprise_name": ""}, "enterprise_name", "企业名称不能为空"),
        ({"person_name": "   "}, "person_name", "姓名不能为空"),
        ({"channel": "微信"}, "channel", "渠道格式不正确"),
        ({"user_id": "x" * 200}, "user_id", "用户标识过长"),
        ({"enterprise_name": 123}, "enterprise_name", "企业名称"),
    ],
)
def test_invalid_payload(
    client: TestClient,
    demo_city: tuple[DemoEnterprise, ...],
    change: dict,
    field: str,
    words: str,
) -> None:
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    response = client.post("/api/v1/bindings", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_input"
    assert field in error["fields"]
    assert words in error["message"], error["message"]


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b"", '{"uscc": "半个'.encode()])
def test_unparseable_body(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/api/v1/bindings", content=content, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    error = response.json()
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("输入有误")
