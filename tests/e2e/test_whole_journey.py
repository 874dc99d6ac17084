"""One enterprise's whole journey typed through the REST channel on the live stack — registration,
authorization, self-check, an objection described in the user's own words, a product application —
and afterwards what the backend holds."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import httpx

from tests.e2e.conftest import LiveStack
from tests.support import demo_enterprises, sms_code

# 示范市绿源科技有限公司: 专精特新 and green, with one 行政处罚 the owner says is long paid.
GREEN = demo_enterprises()[0]


@dataclass
class Chat:
    """A user typing on the REST channel; remembers the bot's last replies to press a button."""

    live_stack: LiveStack
    sender: str = field(default_factory=lambda: f"e2e-journey-{uuid.uuid4().hex[:10]}")
    replies: list[dict] = field(default_factory=list)

    def say(self, text: str) -> str:
        self.replies = self.live_stack.say(self.sender, text)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(reply.get("text", "") for reply in self.replies)

    def buttons(self) -> list[dict]:
        return [button for reply in self.replies for button in reply.get("buttons") or []]

    def press(self, title_part: str) -> str:
        titles = [button["title"] for button in self.buttons()]
        button = next((b for b in self.buttons() if title_part in b["title"]), None)
        assert button is not None, f"no button with “{title_part}” among {titles}: {self.text}"
        return self.say(button["payload"])

    def backend(self, path: str) -> dict:
        response = httpx.get(
            f"{self.live_stack.backend_url}/api/v1{path}",
            headers={
                "Authorization": "Bearer dev-service-token",
                "X-Chat-Channel": "rest",
                "X-Chat-User-Id": self.sender,
            },
        )
        response.raise_for_status()
        return response.json()


def register(chat: Chat, phone: str) -> None:
    assert "企业的全称" in chat.say("我要实名注册")
    chat.say(GREEN["name"])
    assert "姓名" in chat.say(GREEN["uscc"])
    chat.say(GREEN["legal_representative"])
    chat.say("法定代表人")
    assert "验证码已发送" in chat.say(phone)
    assert "注册成功" in chat.say(sms_code(chat.live_stack.backend_url, phone))


def test_register_authorize_check_object_and_apply(live_stack: LiveStack):
    chat = Chat(live_stack)
    phone = f"135{random.randrange(10**8):08d}"

    register(chat, phone)
    (enterprise,) = chat.backend("/me/enterprises")["items"]
    assert enterprise["name"] == GREEN["name"]
    enterprise_id = enterprise["id"]

    # 授权: the risk notice and its version, scope, institutions, period, then an explicit 同意.
    assert "风险" in chat.say("我要授权")
    chat.press("全部类别")
    chat.press("全部接入机构")
    notice = chat.press("1年")
    assert "同意" in notice
    # A bare "好的" is not consent.
    assert "同意" in chat.say("好的")
    assert chat.backend(f"/enterprises/{enterprise_id}/authorizations")["items"] == []
    granted = chat.say("同意")
    assert "授权" in granted
    (authorization,) = chat.backend(f"/enterprises/{enterprise_id}/authorizations")["items"]
    assert authorization["channel"] == "rest"

    # 信用自查: the summary of what the platform holds.
    summary = chat.say("帮我查一下信用")
    assert "信用自查" in summary
    assert "行政处罚" in summary

    # 异议申诉 in the user's own words: the penalty record is found and confirmed.
    found = chat.say("我那个罚款早就交了怎么还挂着")
    assert "行政处罚" in found or "罚款" in found
    chat.press("是")  # the candidate record is the right one
    chat.press("已履行")
    chat.say("罚款今年6月已经全部缴清，有银行回单")
    chat.say("有缴款凭证，稍后补充照片")
    filed = chat.say(phone)
    assert "YY" in filed
    assert "异议处理中" in filed or "2个工作日" in filed
    tickets = chat.backend("/me/tickets")["items"]
    objection = next(ticket for ticket in tickets if ticket["number"].startswith("YY"))
    assert objection["number"] in filed
    records = chat.backend(f"/enterprises/{enterprise_id}/records?category=行政处罚")["items"]
    assert any(record.get("under_objection") or "异议" in str(record) for record in records)

    # 产品: the need, ranked matches, apply to the first, submitted under the authorization.
    chat.say("有什么贷款产品适合我们")
    chat.say("100万")
    chat.say("2年")
    matches = chat.say("购买环保设备")
    apply_buttons = [b for b in chat.buttons() if "申请" in b["title"]]
    assert apply_buttons, matches
    chat.say(apply_buttons[0]["payload"])
    answered = chat.text
    for _ in range(4):  # whatever the application form still needs: the contact phone last
        if "SQ" in answered:
            break
        answered = chat.say(phone)
    assert "SQ" in answered
    (application,) = chat.backend(f"/enterprises/{enterprise_id}/applications")["items"]
    assert application["number"] in answered
    assert application["status"] == "已提交"

    # Personal data typed along the way is in no log and sealed in the conversation store.
    for personal in (phone, GREEN["legal_representative"]):
        assert personal not in live_stack.all_logs()
        assert personal.encode() not in live_stack.tracker_store_bytes()
