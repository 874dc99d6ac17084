"""实名注册 through POST /api/v1/registrations: the SMS code first, then the registry check (USCC
normalisation and GB 32100 check digit, which field disagrees without revealing registry data),
then the binding — never a duplicate, several users per enterprise, the event carried along."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.enums import StaffRole
from app.models import Binding, Enterprise, Event, Registration, SmsCode
from app.seed import DemoEnterprise
from app.services.staff import create_staff_user

BindFn = Callable[..., httpx.Response]

# A well-formed code with a correct check digit that the registry does not hold.
UNREGISTERED_USCC = "914403001922038216"
HEADERS = {"X-Chat-Channel": "wechat", "X-Chat-User-Id": "oUser0001"}


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Enterprise, Binding, Registration)
    )


def test_first_registration_creates_then_repeats_idempotently(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    green = demo_city[0]
    first = bind(green, phone="13812345678")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["created"] is True
    assert body["enterprise"] == {
        "id": body["enterprise"]["id"],
        "name": green.name,
        "uscc": green.uscc,
        "is_individual_business": False,
        "role": "法定代表人",
    }
    assert body["phone"] == "138****5678"
    assert body["event"] is None
    assert body["registered_at"]

    again = bind(green, phone="13912345678")  # a new code (another phone: 60 s cool-down)
    assert again.status_code == 200
    assert again.json() == {**body, "created": False}
    assert _counts(session) == (1, 1, 1)
    stored = session.scalars(select(Registration)).one()
    assert stored.phone == "13812345678"  # stored as needed, shown masked


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


def test_individual_business_registration(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
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


def test_a_failed_registry_check_leaves_the_code_usable(
    client: TestClient, bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    """The code is used only when the registration succeeds: correcting a typo needs no new SMS."""
    green = demo_city[0]
    refused = bind(green, phone="13700000001", person_name="张明")
    assert refused.status_code == 422
    code = client.get("/api/v1/dev/sms-outbox", params={"phone": "13700000001"}).json()
    body = {
        "uscc": green.uscc,
        "enterprise_name": green.name,
        "person_name": green.legal_representative,
        "role": "法定代表人",
        "phone": "13700000001",
        "sms_code": code["items"][0]["code"],
    }
    assert client.post("/api/v1/registrations", json=body, headers=HEADERS).status_code == 201
    assert session.scalars(select(SmsCode)).one().failed_attempts == 0


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


def test_the_sms_code_is_checked_before_the_registry(
    client: TestClient, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    """Without the right code nothing about the registry is revealed."""
    assert (
        client.post(
            "/api/v1/registrations/sms-codes", json={"phone": "13700000002"}, headers=HEADERS
        ).status_code
        == 202
    )
    code = client.get("/api/v1/dev/sms-outbox", params={"phone": "13700000002"}).json()
    wrong = f"{(int(code['items'][0]['code']) + 1) % 10**6:06d}"
    body = {**VALID, "uscc": UNREGISTERED_USCC, "phone": "13700000002", "sms_code": wrong}
    response = client.post("/api/v1/registrations", json=body, headers=HEADERS)
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_wrong"
    assert response.json()["fields"] == ["sms_code"]
    assert _counts(session) == (0, 0, 0)


def _event(session: Session, code: str = "k7m2q9xa") -> Event:
    from datetime import UTC, datetime

    admin = create_staff_user(
        session, username="event-admin", display_name="活动管理员", role=StaffRole.ADMIN,
        password="long-enough",
    )  # fmt: skip
    event = Event(
        code=code,
        name="示范市政银企对接会",
        place="会展中心",
        starts_at=datetime(2026, 7, 8, 1, tzinfo=UTC),
        ends_at=datetime(2026, 7, 8, 9, tzinfo=UTC),
        created_by_id=admin.id,
    )
    session.add(event)
    session.commit()
    return event


def test_registration_carries_the_event(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    event = _event(session)
    response = bind(demo_city[0], event_code=" K7M2Q9XA ")
    assert response.status_code == 201, response.json()
    assert response.json()["event"] == {"code": "k7m2q9xa", "name": "示范市政银企对接会"}
    assert session.scalars(select(Registration)).one().event_id == event.id

    # Registering again (without the event) answers the binding as it was.
    again = bind(demo_city[0])
    assert again.status_code == 200
    assert again.json()["event"]["code"] == "k7m2q9xa"


def test_unknown_event(
    bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    response = bind(demo_city[0], event_code="nosuchev")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "event_not_found"
    assert body["fields"] == ["event_code"]
    assert "活动" in body["message"]
    assert _counts(session) == (0, 0, 0)


def test_the_old_bindings_route_is_gone(client: TestClient) -> None:
    assert client.post("/api/v1/bindings", json={}).status_code in (404, 405)


VALID = {
    "uscc": "91329901MA1GY0017X",
    "enterprise_name": "示范市绿源科技有限公司",
    "person_name": "张明华",
    "role": "法定代表人",
    "phone": "13812345678",
    "sms_code": "123456",
}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"role": "老板"}, "role", "身份只能是"),
        ({"role": None}, "role", "身份"),
        ({"uscc": None}, "uscc", "统一社会信用代码"),
        ({"enterprise_name": ""}, "enterprise_name", "企业名称不能为空"),
        ({"person_name": "   "}, "person_name", "姓名不能为空"),
        ({"enterprise_name": 123}, "enterprise_name", "企业名称"),
        ({"phone": "12812345678"}, "phone", "手机号格式不正确"),
        ({"phone": "1381234567"}, "phone", "手机号格式不正确"),
        ({"phone": None}, "phone", "缺少手机号"),
        ({"sms_code": "12345"}, "sms_code", "短信验证码格式不正确"),
        ({"sms_code": "abcdef"}, "sms_code", "短信验证码格式不正确"),
        ({"sms_code": ""}, "sms_code", "短信验证码不能为空"),
        ({"sms_code": 123456}, "sms_code", "短信验证码"),
        ({"event_code": ""}, "event_code", "活动码不能为空"),
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
    response = client.post("/api/v1/registrations", json=body, headers=HEADERS)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_input"
    assert field in error["fields"]
    assert words in error["message"], error["message"]


@pytest.mark.parametrize(
    ("headers", "field", "words"),
    [
        ({"X-Chat-Channel": "WeChat!"}, "X-Chat-Channel", "渠道格式不正确"),
        ({"X-Chat-User-Id": "x" * 200}, "X-Chat-User-Id", "用户标识过长"),
        ({"X-Chat-Channel": None}, "X-Chat-Channel", "缺少渠道"),
    ],
)
def test_invalid_chat_user(client: TestClient, headers: dict, field: str, words: str) -> None:
    sent = {k: v for k, v in {**HEADERS, **headers}.items() if v is not None}
    response = client.post("/api/v1/registrations", json=VALID, headers=sent)
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert words in response.json()["message"]


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b"", '{"uscc": "半个'.encode()])
def test_unparseable_body(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/api/v1/registrations",
        content=content,
        headers={"Content-Type": "application/json", **HEADERS},
    )
    assert 400 <= response.status_code < 500
    error = response.json()
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("输入有误")
