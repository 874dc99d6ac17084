"""The city-app H5 chat in headless Chromium on the live stack: a user opens /chat with the city
app's token, registers a demo enterprise by typing, sees the confirmation, checks their credit and
opens the full report behind its signed link."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
from selenium.webdriver.common.by import By

from tests.browser.conftest import BrowserPage
from tests.conftest import H5_JWT_SECRET, LiveStack
from tests.support import create_running_event, demo_enterprises, qr_codes, sms_code, staff_sign_in

ENTERPRISE = demo_enterprises()[1]


def city_app_token(user: str, minutes: int = 30) -> str:
    """What the city app puts in the chat link after its own sign-in."""
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now, "exp": now + minutes * 60}, H5_JWT_SECRET, "HS256")


def service_headers(user: str | None = None) -> dict[str, str]:
    headers = {"Authorization": "Bearer dev-service-token"}
    if user:
        headers |= {"X-Chat-Channel": "h5", "X-Chat-User-Id": user}
    return headers


def bot_texts(browser: BrowserPage) -> list[str]:
    return browser.texts(".msg.bot")


def type_and_wait(browser: BrowserPage, text: str, expected: str) -> str:
    """Types a message as a user would, sends it, and waits for a bot bubble saying `expected`."""
    browser.wait(lambda d: browser.find("#text").is_enabled(), message="input stays disabled")
    before = len(bot_texts(browser))
    box = browser.find("#text")
    box.send_keys(text)
    browser.find("#send").click()

    def answered(_driver: object) -> str | None:
        return next((t for t in bot_texts(browser)[before:] if expected in t), None)

    return str(
        browser.wait(
            answered, message=f"no reply with {expected!r} to {text!r}: {bot_texts(browser)}"
        )
    )


def open_chat(browser: BrowserPage, live_stack: LiveStack, user: str) -> None:
    browser.goto(f"{live_stack.backend_url}/chat#token={city_app_token(user)}")
    browser.wait(lambda d: browser.find("#text").is_enabled(), message="chat did not start")


def test_register_by_typing_then_open_the_full_report(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    user = f"app-{uuid.uuid4().hex[:10]}"
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    open_chat(browser, live_stack, user)
    # The token left the address bar once read (it stays in this tab's session storage).
    assert "token=" not in browser.driver.current_url
    assert browser.horizontal_overflow() == 0

    type_and_wait(browser, "我要实名注册", "企业的全称")
    type_and_wait(browser, ENTERPRISE["name"], "统一社会信用代码")
    type_and_wait(browser, ENTERPRISE["uscc"], "姓名")
    type_and_wait(browser, ENTERPRISE["legal_representative"], "法定代表人")
    type_and_wait(browser, "我是法人", "手机号")
    type_and_wait(browser, phone, "验证码已发送")
    confirmation = type_and_wait(browser, sms_code(live_stack.backend_url, phone), "注册成功")
    assert ENTERPRISE["name"] in confirmation
    assert browser.horizontal_overflow() == 0
    browser.screenshot("h5-chat-registered")

    bound = httpx.get(
        f"{live_stack.backend_url}/api/v1/me/enterprises", headers=service_headers(user)
    )
    assert [item["name"] for item in bound.json()["items"]] == [ENTERPRISE["name"]]

    # The quick reply starts the self-check; its summary carries the report link.
    before = len(bot_texts(browser))
    browser.find(".quick button[data-payload='/credit_check']").click()
    browser.wait(
        lambda d: any("信用自查摘要" in t for t in bot_texts(browser)[before:]),
        message="no self-check summary",
    )
    link = browser.wait(
        lambda d: next(iter(browser.driver.find_elements(By.LINK_TEXT, "查看完整信用报告")), None),
        message="no report link",
    )
    # The summary's category buttons are there to tap, as numbered choices are on WeChat.
    assert any(b.text.startswith("看") for b in browser.find_all(".choices button"))
    href = link.get_attribute("href")
    assert user not in href
    browser.goto(href)
    browser.wait(lambda d: "信用自查报告" in browser.find("body").text, message="no report page")
    report = browser.find("body").text
    assert ENTERPRISE["name"] in report and "各类信用信息" in report
    assert ENTERPRISE["legal_representative"] not in report  # masked
    assert browser.horizontal_overflow() == 0
    browser.screenshot("h5-credit-report")


def test_a_tapped_button_sends_its_payload(browser: BrowserPage, live_stack: LiveStack) -> None:
    open_chat(browser, live_stack, f"app-{uuid.uuid4().hex[:10]}")
    type_and_wait(browser, "你好", "请问需要办理什么")
    buttons = {b.text: b for b in browser.find_all(".choices button")}
    assert {"实名注册", "信用自查", "贷款产品"} <= set(buttons)
    before = len(bot_texts(browser))
    buttons["实名注册"].click()
    browser.wait(
        lambda d: any("企业的全称" in t for t in bot_texts(browser)[before:]),
        message="the button's /register did not start registration",
    )
    # The user's bubble shows the title they tapped, not the payload; the choice is used up.
    assert browser.texts(".msg.user")[-1] == "实名注册"
    assert not buttons["信用自查"].is_enabled()
    browser.screenshot("h5-chat-buttons")


def test_without_a_token_the_page_says_to_open_it_from_the_app(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    browser.goto(f"{live_stack.backend_url}/chat")
    notice = browser.wait(
        lambda d: next((t for t in browser.texts(".msg.notice") if "城市 App" in t), None),
        message="no notice",
    )
    assert "登录" in str(notice)
    assert not browser.find("#text").is_enabled()


def test_an_expired_token_is_told_and_sends_nothing_more(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    now = int(time.time())
    expired = jwt.encode({"sub": "app-expired", "exp": now - 3600}, H5_JWT_SECRET, "HS256")
    browser.goto(f"{live_stack.backend_url}/chat#token={expired}")
    browser.wait(lambda d: browser.find("#text").is_enabled(), message="chat did not start")
    browser.find("#text").send_keys("你好")
    browser.find("#send").click()
    browser.wait(
        lambda d: any("重新进入" in t for t in browser.texts(".msg.notice")),
        message="expiry not told",
    )
    assert not browser.find("#text").is_enabled()


def test_an_event_link_registers_for_that_event(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    """What scanning the event's H5 QR code opens (its h5_url, decoded from the PNG staff print)."""
    staff = staff_sign_in(live_stack.backend_url)
    event = create_running_event(
        live_stack.backend_url, staff, "城西区个体工商户信易贷宣讲会", "城西区政务服务中心"
    )
    png = httpx.get(
        f"{live_stack.backend_url}/api/v1/events/{event['id']}/h5-qrcode.png", headers=staff
    ).content
    (scanned,) = qr_codes(png)
    assert scanned == event["h5_url"]

    user = f"app-{uuid.uuid4().hex[:10]}"
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    # The city app opens the scanned link with its token.
    browser.goto(f"{scanned}#token={city_app_token(user)}")
    browser.wait(
        lambda d: any("企业的全称" in t for t in bot_texts(browser)),
        message=f"registration did not start: {bot_texts(browser)}",
    )
    type_and_wait(browser, ENTERPRISE["name"], "统一社会信用代码")
    type_and_wait(browser, ENTERPRISE["uscc"], "姓名")
    type_and_wait(browser, ENTERPRISE["legal_representative"], "法定代表人")
    type_and_wait(browser, "我是法人", "手机号")
    type_and_wait(browser, phone, "验证码已发送")
    type_and_wait(browser, sms_code(live_stack.backend_url, phone), "注册成功")
    browser.screenshot("h5-event-registered")

    stats = httpx.get(
        f"{live_stack.backend_url}/api/v1/events/{event['id']}/stats", headers=staff
    ).json()
    assert stats["registrations"] == 1, stats
    # A reload does not start the event's registration a second time.
    browser.goto(scanned)
    time.sleep(2)
    assert not any("企业的全称" in t for t in bot_texts(browser))
