"""The script assistant (话术助手): the scripts are data that name real intents and entities, the
next step and the checklist follow from the flow, the fields collected and the turn, and the route
asks Rasa's /model/parse with a short timeout (unreachable → 503 in Chinese). A real Rasa answers
in tests/browser/test_console.py; here a small local server plays it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.city import CityConfig
from app.core.config import REPO_ROOT
from app.errors import AppError
from app.services.assist import (
    SCRIPTS_PATH,
    Entity,
    ScriptBook,
    Understanding,
    advise,
    load_script_book,
    render,
    understanding_from,
)

BOOK = load_script_book()


def _domain() -> tuple[set[str], set[str]]:
    intents: set[str] = set()
    entities: set[str] = set()
    for path in sorted((REPO_ROOT / "bot" / "domain").glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents |= {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
        entities |= {
            e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or []
        }
    return intents, entities


def turn(intent: str | None, confidence: float = 0.99, **entities: str) -> Understanding:
    ranking = ((intent, confidence),) if intent else ()
    found = tuple(Entity(entity=k, value=v, text=v) for k, v in entities.items())
    return Understanding(intent=intent, confidence=confidence, ranking=ranking, entities=found)


# ------------------------------------------------------------------------------ the scripts


def test_the_scripts_name_real_intents_and_entities_and_render_for_the_city(
    city: CityConfig,
) -> None:
    intents, entities = _domain()
    for key, flow in BOOK.flows.items():
        assert set(flow.intents) <= intents, key
        for step in flow.steps:
            assert set(step.entities) <= entities, (key, step.field)
            assert set(step.intents) <= intents, (key, step.field)
    assert set(BOOK.replies) - {"default"} <= intents
    assert set(BOOK.intent_labels) <= intents
    for text in BOOK.all_texts():
        rendered = render(text, city)
        assert "{" not in rendered and "}" not in rendered
        assert rendered.endswith(("。", "？", "！")), rendered
    assert city.platform_name in render(BOOK.replies["greet"], city)


def test_the_scripts_carry_the_rules_of_the_product_brief() -> None:
    notice = BOOK.flows["authorization"].steps[0]
    assert notice.field == "risk_notice"
    assert "风险" in notice.script and "撤回" in notice.script
    assert "同意" in BOOK.flows["authorization"].done  # consent is the user's own, in the chat
    assert "2个工作日" in BOOK.flows["objection"].done
    assert "免费" in BOOK.flows["credit_check"].steps[0].script
    # Staff never ask for the SMS code: the caller types it on the page.
    assert all(s.field != "sms_code" for s in BOOK.flows["registration"].steps)
    assert "验证码请勿告诉任何人" in BOOK.flows["registration"].done


def test_a_broken_scripts_file_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(SCRIPTS_PATH.read_text(encoding="utf-8"))
    data["flows"]["progress"]["intents"] = ["register"]  # register already starts registration
    with pytest.raises(ValidationError, match="意图开始了多项业务"):
        ScriptBook.model_validate(data)
    data = yaml.safe_load(SCRIPTS_PATH.read_text(encoding="utf-8"))
    data["replies"]["greet"] = "您好，{hotline_number}"
    with pytest.raises(ValidationError, match="未知的占位符"):
        ScriptBook.model_validate(data)
    data = yaml.safe_load(SCRIPTS_PATH.read_text(encoding="utf-8"))
    data["flows"]["progress"]["steps"][0]["colour"] = "red"
    with pytest.raises(ValidationError):
        ScriptBook.model_validate(data)


# ------------------------------------------------------------------------------ the next step


def test_a_confident_flow_intent_starts_its_checklist(city: CityConfig) -> None:
    advice = advise(BOOK, turn("credit_check"), flow=None, collected=[], city=city)
    assert (advice.flow, advice.flow_title, advice.switched) == ("credit_check", "信用自查", True)
    assert advice.next_field == "uscc"
    assert advice.script == render(BOOK.flows["credit_check"].steps[0].script, city)
    assert [(i.field, i.done) for i in advice.checklist] == [
        ("uscc", False),
        ("registered", False),
    ]


def test_entities_tick_their_fields_in_any_order(city: CityConfig) -> None:
    started = advise(BOOK, turn("register"), flow=None, collected=[], city=city)
    advice = advise(
        BOOK,
        turn("inform", phone="13812345678", uscc="91329901MA1GY0017X"),
        flow=started.flow,
        collected=started.collected,
        city=city,
    )
    assert advice.collected == ("uscc", "phone")
    assert advice.filled_now == ("uscc", "phone")
    assert advice.next_field == "company_name"  # still the first one missing
    missing = [i.label for i in advice.checklist if not i.done]
    assert missing == ["企业名称", "来电人姓名", "身份（法定代表人/经办人）"]


def test_an_intent_answers_only_the_step_being_asked_in_a_flow_under_way(
    city: CityConfig,
) -> None:
    started = advise(BOOK, turn("authorize"), flow=None, collected=[], city=city)
    assert started.next_field == "risk_notice" and started.collected == ()
    agreed = advise(BOOK, turn("affirm"), flow="authorization", collected=[], city=city)
    assert agreed.collected == ("risk_notice",)
    assert agreed.next_field == "data_categories"
    # A "yes" while the categories are asked for ticks nothing.
    again = advise(
        BOOK, turn("affirm"), flow="authorization", collected=agreed.collected, city=city
    )
    assert again.collected == ("risk_notice",)
    # The flow's own intent starting it ticks nothing either (objection: uscc first).
    objection = advise(BOOK, turn("file_objection"), flow=None, collected=[], city=city)
    assert objection.collected == ()


def test_the_done_script_follows_a_complete_checklist(city: CityConfig) -> None:
    fields = [s.field for s in BOOK.flows["progress"].steps]
    advice = advise(
        BOOK, turn("inform", ticket_id="YY202606300001"), flow="progress", collected=[], city=city
    )
    assert list(advice.collected) == fields
    assert advice.next_field is None
    assert advice.script == render(BOOK.flows["progress"].done, city) == advice.done_script
    revoke = advise(BOOK, turn("revoke_authorization"), flow=None, collected=[], city=city)
    assert revoke.checklist == () and "撤回" in revoke.script


def test_an_unsure_turn_asks_the_caller_instead_of_switching(city: CityConfig) -> None:
    unsure = Understanding(
        intent="file_objection",
        confidence=0.3,
        ranking=(("file_objection", 0.3), ("credit_repair", 0.25)),
        entities=(),
    )
    fresh = advise(BOOK, unsure, flow=None, collected=[], city=city)
    assert fresh.flow is None and not fresh.confident
    assert "“对信用记录提出异议”还是“申请信用修复”" in fresh.script
    during = advise(BOOK, unsure, flow="registration", collected=["company_name"], city=city)
    assert during.flow == "registration" and during.collected == ("company_name",)
    assert during.next_field == "uscc"
    assert during.hint is not None and "对信用记录提出异议" in during.hint
    fallback = Understanding("nlu_fallback", 0.45, (("credit_check", 0.2),), ())
    assert not advise(BOOK, fallback, flow=None, collected=[], city=city).confident


def test_stop_ends_the_flow_and_small_talk_keeps_it(city: CityConfig) -> None:
    stopped = advise(BOOK, turn("stop"), flow="registration", collected=["uscc"], city=city)
    assert (stopped.flow, stopped.collected, stopped.checklist) == (None, (), ())
    assert "不办了" in stopped.script
    thanks = advise(BOOK, turn("thank"), flow="registration", collected=["uscc"], city=city)
    assert thanks.flow == "registration" and thanks.next_field == "company_name"
    assert thanks.hint == render(BOOK.replies["thank"], city)
    greeting = advise(BOOK, turn("greet"), flow=None, collected=[], city=city)
    assert city.platform_name in greeting.script


def test_a_policy_question_is_answered_from_the_faq_and_the_flow_goes_on(
    city: CityConfig,
) -> None:
    question = Understanding(
        "faq", 1.0, (("faq", 1.0),), (), faq_key="faq/is_query_free", faq_answer="免费。"
    )
    during = advise(BOOK, question, flow="credit_check", collected=[], city=city)
    assert during.hint == "免费。" and during.next_field == "uscc"
    alone = advise(BOOK, question, flow=None, collected=[], city=city)
    assert alone.script == "免费。"


def test_an_unknown_flow_in_the_state_is_bad_input(city: CityConfig) -> None:
    with pytest.raises(AppError) as refused:
        advise(BOOK, turn("inform"), flow="no_such_flow", collected=[], city=city)
    assert (refused.value.code, refused.value.status_code) == ("flow_unknown", 422)


def test_rasas_answer_is_read_once_per_entity_without_the_fallback() -> None:
    understanding = understanding_from(RASA_REPLY)
    assert (understanding.intent, understanding.confidence) == ("inform", 0.97)
    assert [name for name, _ in understanding.ranking] == ["inform", "register"]
    assert understanding.entities == (Entity("uscc", "91329901MA1GY0017X", "91329901MA1GY0017X"),)
    assert understanding.faq_answer is None


# ------------------------------------------------------------------------------ the route

RASA_REPLY: dict[str, Any] = {
    "text": "代码是91329901MA1GY0017X",
    "intent": {"name": "inform", "confidence": 0.97},
    "intent_ranking": [
        {"name": "inform", "confidence": 0.97},
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "register", "confidence": 0.02},
    ],
    "entities": [
        {"entity": "uscc", "value": "91329901MA1GY0017X", "start": 3, "end": 21},
        {"entity": "uscc", "value": "91329901MA1GY0017X", "start": 3, "end": 21},
    ],
}


class FakeRasa(ThreadingHTTPServer):
    reply: dict[str, Any] = RASA_REPLY
    status: int = 200
    requests: list[tuple[str, dict[str, Any]]]


class _Handler(BaseHTTPRequestHandler):
    server: FakeRasa

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.requests.append((self.path, json.loads(self.rfile.read(length))))
        body = json.dumps(self.server.reply).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_rasa(app: FastAPI) -> Iterator[FakeRasa]:
    server = FakeRasa(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    app.state.settings = app.state.settings.model_copy(
        update={"rasa_url": url, "rasa_token": "rasa-secret"}
    )
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_the_route_asks_rasa_and_returns_intent_script_and_checklist(
    client: TestClient, fake_rasa: FakeRasa, staff_headers
) -> None:
    state = {"flow": "registration", "collected": ["company_name"]}
    response = client.post(
        "/api/v1/staff/assist",
        json={"text": " 代码是91329901MA1GY0017X ", "flow_state": state},
        headers=staff_headers(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert fake_rasa.requests == [
        ("/model/parse?token=rasa-secret", {"text": "代码是91329901MA1GY0017X"})
    ]
    assert body["intent"] == {"name": "inform", "label": None, "confidence": 0.97}
    assert body["confident"] is True
    assert [r["name"] for r in body["ranking"]] == ["inform", "register"]
    assert body["entities"] == [
        {"entity": "uscc", "value": "91329901MA1GY0017X", "text": "91329901MA1GY0017X"}
    ]
    assert body["flow"]["key"] == "registration" and body["flow"]["switched"] is False
    assert body["next_field"] == "person_name"
    assert body["script"] == next(i["script"] for i in body["checklist"] if not i["done"])
    assert body["missing"] == ["来电人姓名", "身份（法定代表人/经办人）", "手机号"]
    assert body["flow_state"] == {"flow": "registration", "collected": ["company_name", "uscc"]}


def test_rasa_failing_or_unreachable_is_a_chinese_503(
    client: TestClient, app: FastAPI, fake_rasa: FakeRasa, staff_headers
) -> None:
    staff = staff_headers()
    fake_rasa.status = 500
    failing = client.post("/api/v1/staff/assist", json={"text": "你好"}, headers=staff)
    assert failing.status_code == 503
    assert failing.json()["code"] == "rasa_unavailable"
    assert "\u4e00" <= failing.json()["message"][0] <= "\u9fff"

    fake_rasa.shutdown()
    fake_rasa.server_close()
    gone = client.post("/api/v1/staff/assist", json={"text": "你好"}, headers=staff)
    assert (gone.status_code, gone.json()["code"]) == (503, "rasa_unavailable")


def test_the_default_rasa_url_unreachable_is_a_503(
    client: TestClient, app: FastAPI, staff_headers
) -> None:
    # Port 9 (discard) has nothing listening here: the connection is refused at once.
    app.state.settings = app.state.settings.model_copy(update={"rasa_url": "http://127.0.0.1:9"})
    response = client.post(
        "/api/v1/staff/assist", json={"text": "我想给公司做个信用自查"}, headers=staff_headers()
    )
    assert response.status_code == 503
    assert response.json()["message"].startswith("语义理解服务暂时不可用")


def test_the_route_needs_a_staff_token_and_refuses_bad_input(
    client: TestClient, anon_client: TestClient, fake_rasa: FakeRasa, staff_headers
) -> None:
    staff = staff_headers()
    assert client.post("/api/v1/staff/assist", json={"text": "你好"}).status_code == 401
    assert anon_client.post("/api/v1/staff/assist", json={"text": "你好"}).status_code == 401
    for body in (
        {"text": ""},
        {"text": "   "},
        {"text": "好" * 501},
        {"text": "你好", "flow_state": {"flow": "Registration!"}},
        {"text": "你好", "flow_state": {"collected": ["a"] * 41}},
        {"text": "你好", "extra": 1},
    ):
        refused = client.post("/api/v1/staff/assist", json=body, headers=staff)
        assert refused.status_code == 422, body
    unknown = client.post(
        "/api/v1/staff/assist",
        json={"text": "你好", "flow_state": {"flow": "no_such_flow"}},
        headers=staff,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "flow_unknown")
    assert fake_rasa.requests == []  # refused before asking Rasa
