"""The WeChat Official Account on the live stack: messages signed and encrypted (安全模式) with
wechatpy's own crypto, posted to Rasa's `wechat` channel the way WeChat posts them, the real bot,
action server and backend behind it, and the local fake of WeChat's API server receiving what goes
out through the customer-service API."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from tests.conftest import WECHAT_AES_KEY, WECHAT_REPLY_TIMEOUT
from tests.e2e.conftest import LiveStack
from tests.fake_wechat import (
    MEDIA_BYTES,
    event_xml,
    image_xml,
    new_msg_id,
    passive_content,
    signed_request,
    text_xml,
)
from tests.support import (
    DEMO_AGENT,
    bind_demo_user,
    bind_user,
    create_running_event,
    demo_enterprises,
    enterprise_with_penalties,
    qr_codes,
    sms_code,
    staff_sign_in,
)

MAX_MESSAGE_BYTES = 2048
SERVICE_HEADERS = {"Authorization": "Bearer dev-service-token"}
_CHOICE_LINE = re.compile(r"(?m)^\s*(\d{1,2})[.、]\s*(.+?)\s*$")
# After a first custom send, the rest of a turn's messages follow within this quiet time.
_SETTLE_SECONDS = 1.0


@dataclass
class WeChatUser:
    """One follower of the Official Account: types, taps numbered choices, reads the replies."""

    live: LiveStack
    openid: str = field(default_factory=lambda: f"oE2E-{uuid.uuid4().hex[:20]}")
    last: str = ""

    @property
    def webhook(self) -> str:
        return f"{self.live.rasa_url}/webhooks/wechat/webhook"

    def post(self, xml: str) -> httpx.Response:
        params, body = signed_request(xml, aes_key=WECHAT_AES_KEY)
        return httpx.post(self.webhook, params=params, content=body, timeout=15)

    def reply_of(self, response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        return passive_content(response.text, self.openid, WECHAT_AES_KEY)

    def send(self, xml: str) -> str:
        """One message; the bot's answer, passive or delivered later through custom send."""
        before = len(self.live.wechat.contents(self.openid))
        content = self.reply_of(self.post(xml))
        self.last = content if content != "success" else self.custom_sends_after(before)
        return self.last

    def say(self, text: str) -> str:
        return self.send(text_xml(text, openid=self.openid))

    def custom_sends_after(self, before: int, timeout: float = 40) -> str:
        deadline = time.monotonic() + timeout
        while len(self.live.wechat.contents(self.openid)) == before:
            assert time.monotonic() < deadline, "no reply came through custom send"
            time.sleep(0.1)
        seen = -1
        while (count := len(self.live.wechat.contents(self.openid))) != seen:
            seen = count
            time.sleep(_SETTLE_SECONDS)
        return "\n".join(self.live.wechat.contents(self.openid)[before:])

    def choose(self, title_part: str) -> str:
        """Answers a numbered choice (WeChat's stand-in for buttons) with its number."""
        choices = {title: number for number, title in _CHOICE_LINE.findall(self.last)}
        number = next((n for title, n in choices.items() if title_part in title), None)
        assert number is not None, f"no choice with “{title_part}” in: {self.last}"
        return self.say(number)

    def backend(self, path: str) -> dict:
        headers = {**SERVICE_HEADERS, "X-Chat-Channel": "wechat", "X-Chat-User-Id": self.openid}
        response = httpx.get(f"{self.live.backend_url}/api/v1{path}", headers=headers)
        response.raise_for_status()
        return response.json()

    def user_events(self) -> list[dict]:
        """The user turns Rasa's tracker store holds for this conversation."""
        response = httpx.get(f"{self.live.rasa_url}/conversations/{self.openid}/tracker")
        response.raise_for_status()
        return [event for event in response.json()["events"] if event["event"] == "user"]


def stored_evidence(live_stack: LiveStack, file_id: str) -> bytes:
    """The evidence file as the hotline opens it (staff download, audited)."""
    response = httpx.get(
        f"{live_stack.backend_url}/api/v1/staff/evidence-files/{file_id}",
        headers=staff_sign_in(live_stack.backend_url, DEMO_AGENT),
    )
    assert response.status_code == 200, response.text
    return response.content


def test_objection_over_wechat_and_three_retries_make_one_ticket(live_stack: LiveStack):
    user = WeChatUser(live_stack)
    # 示范市城西区李记餐饮店: the recent 行政处罚 the owner says is long paid.
    bind_demo_user(live_stack.backend_url, "wechat", user.openid, index=1)

    found = user.say("我那个罚款早就交了怎么还挂着")
    assert "行政处罚" in found or "罚款" in found, found
    assert "请回复数字选择" in found
    user.choose("是")
    user.choose("已履行")
    user.say("罚款上个月已经全部缴清")
    # The bank slip as a photo: the channel fetches it from WeChat and the backend keeps it.
    media_id = f"evidence-{uuid.uuid4().hex[:12]}"
    asked_contact = user.send(image_xml(media_id, "http://mmbiz.qpic.cn/slip.jpg", user.openid))
    assert "电话" in asked_contact, asked_contact
    assert media_id in live_stack.wechat.media_calls

    # WeChat retries a message it got no answer to within 5 s: here three deliveries of the
    # message that submits the objection arrive at once.
    msg_id = new_msg_id()
    phone_message = text_xml("13912340017", msg_id=msg_id, openid=user.openid)
    before = len(live_stack.wechat.contents(user.openid))
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(user.post, [phone_message] * 3))
    replies = [user.reply_of(response) for response in responses]
    delivered = [reply for reply in replies if reply != "success"]
    if not delivered:  # the turn outlasted the reply window: it came through custom send
        delivered = [user.custom_sends_after(before)]

    tickets = [t for t in user.backend("/me/tickets")["items"] if t["number"].startswith("YY")]
    assert len(tickets) == 1, tickets
    (evidence,) = user.backend(f"/tickets/{tickets[0]['number']}")["evidence"]
    assert evidence["type"] == "upload"
    assert stored_evidence(live_stack, evidence["id"]) == MEDIA_BYTES
    assert all(tickets[0]["number"] in reply for reply in delivered), replies
    # One user turn for the three deliveries, in the tracker store as in the replies.
    turns = [event for event in user.user_events() if event.get("message_id") == str(msg_id)]
    assert len(turns) == 1, turns
    time.sleep(_SETTLE_SECONDS)
    late = live_stack.wechat.contents(user.openid)[before:]
    assert sum(tickets[0]["number"] in content for content in late) <= 1, late


def test_a_slow_backend_answers_success_then_delivers_through_custom_send(
    live_stack: LiveStack,
):
    user = WeChatUser(live_stack)
    # 示范市恒通精密机械有限公司: several categories to summarise.
    bind_demo_user(live_stack.backend_url, "wechat", user.openid, index=2)
    before = len(live_stack.wechat.contents(user.openid))

    with live_stack.backend_proxy.slow(2.0):
        started = time.monotonic()
        response = user.post(text_xml("帮我查一下我们公司的信用", openid=user.openid))
        waited = time.monotonic() - started
        assert user.reply_of(response) == "success"
        # Answered within the reply window, well inside WeChat's 5 s.
        assert waited < WECHAT_REPLY_TIMEOUT + 1.0, waited
        summary = user.custom_sends_after(before, timeout=60)

    assert "信用自查" in summary, summary
    sends = live_stack.wechat.contents(user.openid)[before:]
    assert all(len(content.encode()) <= MAX_MESSAGE_BYTES for content in sends)


def test_a_long_category_of_the_self_check_is_split_to_fit_wechat(
    live_stack: LiveStack, demo_database_url: str
):
    user = WeChatUser(live_stack)
    enterprise, _ = enterprise_with_penalties(demo_database_url, count=8)
    bind_user(live_stack.backend_url, "wechat", user.openid, enterprise)
    before = len(live_stack.wechat.contents(user.openid))

    details = user.say("看看我们的行政处罚明细")

    sends = live_stack.wechat.contents(user.openid)[before:]
    # Too long for one passive reply: it went out as several customer-service messages.
    assert len(sends) >= 2, details
    assert all(len(content.encode()) <= MAX_MESSAGE_BYTES for content in sends)
    assert len(details.encode()) > MAX_MESSAGE_BYTES
    for number in range(1, 9):
        assert f"（第{number}号）" in details, details


def test_scanning_an_event_code_registers_for_that_event(live_stack: LiveStack):
    staff = staff_sign_in(live_stack.backend_url)
    event = create_running_event(
        live_stack.backend_url, staff, "示范市政银企对接会（WeChat 端到端）", "示范市会展中心二号厅"
    )

    # Staff print the event's WeChat code: made through the WeChat channel, which holds the token.
    made = httpx.post(
        f"{live_stack.backend_url}/api/v1/events/{event['id']}/wechat-qrcode/png", headers=staff
    )
    assert made.status_code == 200, made.text
    (printed,) = qr_codes(made.content)
    qrcode = live_stack.wechat.qrcodes[-1]
    assert printed.startswith("http://weixin.qq.com/q/")
    scene = qrcode["action_info"]["scene"]["scene_str"]
    assert scene == f"event_{event['code']}" and qrcode["action_name"] == "QR_STR_SCENE"

    user = WeChatUser(live_stack)
    green = demo_enterprises()[0]
    # A new follower scans it: WeChat sends subscribe with the scene as qrscene_<scene>.
    asked = user.send(event_xml("subscribe", f"qrscene_{scene}", openid=user.openid))
    assert "企业的全称" in asked, asked
    user.say(green["name"])
    assert "姓名" in user.say(green["uscc"])
    user.say(green["legal_representative"])
    user.say("法定代表人")
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    assert "验证码已发送" in user.say(phone)
    assert "注册成功" in user.say(sms_code(live_stack.backend_url, phone))

    stats = httpx.get(
        f"{live_stack.backend_url}/api/v1/events/{event['id']}/stats", headers=staff
    ).json()
    assert stats["registrations"] == 1, stats
    (enterprise,) = user.backend("/me/enterprises")["items"]
    assert enterprise["uscc"] == green["uscc"]
