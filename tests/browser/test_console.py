"""The hotline console in headless Chromium on the live stack: a hotline agent signs in (a wrong
password is told in Chinese), types what a caller says and gets the intent, its confidence and the
script from the real Rasa, looks up a ticket by its number, and moves an objection from the queue —
after which the backend has the new status and a notification waiting for the user's channel."""

from __future__ import annotations

import uuid

import httpx
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import BrowserPage
from tests.conftest import LiveStack
from tests.support import DEMO_AGENT, bind_user, enterprise_with_penalties, staff_sign_in

AGENT = DEMO_AGENT


def service_headers(user: str | None = None, channel: str = "wechat") -> dict[str, str]:
    headers = {"Authorization": "Bearer dev-service-token"}
    if user:
        headers |= {"X-Chat-Channel": channel, "X-Chat-User-Id": user}
    return headers


def file_objection(
    live_stack: LiveStack, database_url: str, user: str
) -> tuple[str, dict[str, str]]:
    """An objection filed through the backend's API as the bot files it, by a WeChat user of an
    enterprise of its own (with a fresh penalty record, so no other test's ticket is in the way):
    the ticket number and the enterprise."""
    facts, (record_id,) = enterprise_with_penalties(database_url, count=1)
    enterprise = bind_user(live_stack.backend_url, "wechat", user, facts)
    response = httpx.post(
        f"{live_stack.backend_url}/api/v1/enterprises/{enterprise['id']}/objections",
        json={
            "record_id": record_id,
            "reason": "已履行或已整改",
            "description": "罚款早就交了，怎么还挂着",
            "evidence": [],
            "contact_phone": "13812345678",
        },
        headers={**service_headers(user), "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["number"], facts


def shown_text(browser: BrowserPage, css: str) -> str | None:
    """The element's text once it is shown (a wait condition)."""
    element = browser.find(css)
    return element.text if element.is_displayed() and element.text else None


def sign_in(
    browser: BrowserPage,
    live_stack: LiveStack,
    password: str | None = None,
    account: tuple[str, str] = AGENT,
) -> None:
    browser.goto(f"{live_stack.backend_url}/console/login")
    browser.wait(lambda d: browser.find("#login-form"), message="no sign-in form")
    browser.find("#username").send_keys(account[0])
    browser.find("#password").send_keys(account[1] if password is None else password)
    browser.find("#login-submit").click()


def signed_in(browser: BrowserPage, live_stack: LiveStack) -> None:
    sign_in(browser, live_stack)
    browser.wait(
        lambda d: (
            browser.driver.current_url.rstrip("/").endswith("/console")
            and "坐席" in browser.find("#staff-name").text
        ),
        message="sign-in did not reach the console",
    )


def test_sign_in_refuses_a_wrong_password_in_chinese_and_admits_the_right_one(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    # Without a token the console sends the agent to sign in.
    browser.goto(f"{live_stack.backend_url}/console")
    browser.wait(lambda d: "/console/login" in d.current_url, message="not sent to sign-in")

    sign_in(browser, live_stack, password="not-the-password")
    error = browser.wait(lambda d: shown_text(browser, "#login-error"), message="no error")
    assert "用户名或口令不正确" in str(error)
    assert "/console/login" in browser.driver.current_url
    browser.screenshot("console-sign-in-refused")

    browser.find("#username").clear()
    signed_in(browser, live_stack)
    assert browser.find("#staff-name").text.endswith("（坐席）")
    assert browser.horizontal_overflow() == 0
    browser.screenshot("console-signed-in")


def test_an_expired_token_goes_back_to_sign_in_with_a_message(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    signed_in(browser, live_stack)
    # The session ends on the server (as when it expires); the next call finds out.
    browser.driver.execute_script(
        "sessionStorage.setItem('xinyidai.console.token', 'stale-token');"
    )
    browser.find("#caller-text").send_keys("你好")
    browser.find("#ask").click()
    notice = browser.wait(
        lambda d: "/console/login" in d.current_url and browser.find("#login-notice").text,
        message="not sent back to sign-in",
    )
    assert "登录已过期" in str(notice)


def test_a_scripted_caller_turn_shows_intent_confidence_script_and_checklist(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    signed_in(browser, live_stack)
    browser.find("#caller-text").send_keys("我想给公司做个信用自查")
    browser.find("#ask").click()
    browser.wait(lambda d: "credit_check" in browser.find("#intent").text, message="no intent")
    assert "信用自查" in browser.find("#intent").text
    confidence = browser.find("#confidence").text
    assert confidence.startswith("置信度 ") and confidence.endswith("%")
    assert float(confidence.removeprefix("置信度 ").removesuffix("%")) > 45
    script = browser.find("#script").text
    assert "统一社会信用代码" in script and "免费" in script
    assert browser.find("#flow").text == "信用自查"
    labels = browser.texts("#checklist li")
    assert labels == ["统一社会信用代码", "已实名注册并绑定"]
    browser.screenshot("console-caller-turn")

    # The caller gives the code: Rasa finds it, the item is ticked and the next question shows.
    browser.find("#caller-text").send_keys("我们的代码是91329901MA1GY0017X")
    browser.find("#ask").click()
    browser.wait(
        lambda d: browser.find("#checklist input[data-field='uscc']").is_selected(),
        message="the USCC did not tick its item",
    )
    assert "91329901MA1GY0017X" in browser.find("#entities").text
    assert "实名注册" in browser.find("#script").text
    # Ticking the last item by hand shows the closing script.
    browser.find("#checklist input[data-field='registered']").click()
    browser.wait(lambda d: "发送“信用自查”" in browser.find("#script").text, message="no done")
    assert browser.horizontal_overflow() == 0
    browser.screenshot("console-checklist-done")


def test_a_ticket_is_looked_up_by_its_number(
    browser: BrowserPage, live_stack: LiveStack, demo_database_url: str
) -> None:
    user = f"oConsole{uuid.uuid4().hex[:8]}"
    number, enterprise = file_objection(live_stack, demo_database_url, user)
    signed_in(browser, live_stack)
    browser.goto(f"{live_stack.backend_url}/console/lookup")
    browser.wait(lambda d: browser.find("#ticket-number"), message="no look-up page")
    browser.find("#ticket-number").send_keys(number.lower())
    browser.find("#ticket-go").click()
    result = browser.wait(
        lambda d: browser.find("#ticket-result").is_displayed() and browser.find("#ticket-result"),
        message="no ticket shown",
    )
    text = result.text  # type: ignore[union-attr]
    assert number in text and "异议申诉" in text
    assert enterprise["name"] in text
    assert "138****5678" in text and "13812345678" not in text
    assert "转交期限" in text and "状态记录" in text
    assert browser.horizontal_overflow() == 0
    browser.screenshot("console-ticket-lookup")

    # A wrong code is told in Chinese, nothing found.
    browser.find("#uscc").send_keys("91329901MA1GY0017Y")
    browser.find("#uscc-go").click()
    error = browser.wait(
        lambda d: shown_text(browser, "#lookup-error"), message="no error for a bad USCC"
    )
    assert "校验" in str(error)


def test_a_status_change_from_the_queue_reaches_the_backend_and_the_users_channel(
    browser: BrowserPage, live_stack: LiveStack, demo_database_url: str
) -> None:
    user = f"oQueue{uuid.uuid4().hex[:8]}"
    number, _ = file_objection(live_stack, demo_database_url, user)
    signed_in(browser, live_stack)
    browser.goto(f"{live_stack.backend_url}/console/queue")
    card_css = f".queue-item[data-number='{number}']"
    card = browser.wait(
        lambda d: next(iter(browser.find_all(card_css)), None), message="ticket not in queue"
    )
    assert "转交期限" in card.text  # type: ignore[union-attr]
    browser.screenshot("console-queue")

    select = Select(browser.find(f"{card_css} select.next-status"))
    new_status = select.options[0].get_attribute("value")
    select.select_by_index(0)
    browser.find(f"{card_css} .move-note").send_keys("已转交省级节点核查")
    browser.find(f"{card_css} button.move").click()
    message = browser.wait(
        lambda d: shown_text(browser, "#queue-message"), message="no confirmation"
    )
    assert number in str(message) and str(new_status) in str(message)
    browser.screenshot("console-queue-moved")

    # The backend has the new status …
    ticket = httpx.get(
        f"{live_stack.backend_url}/api/v1/staff/tickets/{number}",
        headers=staff_sign_in(live_stack.backend_url, AGENT),
    )
    ticket.raise_for_status()
    assert ticket.json()["status"] == new_status
    assert ticket.json()["history"][-1]["by"] == "平台工作人员"
    # as the user sees it in the chat
    own = httpx.get(
        f"{live_stack.backend_url}/api/v1/tickets/{number}", headers=service_headers(user)
    )
    assert own.json()["status"] == new_status
    # … and a notification for the user waits for their channel.
    pending = httpx.get(
        f"{live_stack.backend_url}/api/v1/notifications/pending",
        params={"channel": "wechat", "limit": 200},
        headers=service_headers(),
    )
    pending.raise_for_status()
    mine = [n for n in pending.json()["items"] if n["number"] == number]
    assert mine and "已转交省级节点核查" in mine[-1]["text"]
    assert mine[-1]["user_id"] == user
