"""Promotion events in the console, in headless Chromium on the live stack: an administrator
creates an event, gets its two QR codes (the H5 link's, and the WeChat code made through the
WeChat channel against the local fake WeChat API server), both decoded from the images the page
shows, and the live figures update by themselves when someone registers through the event."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta, timezone

from tests.browser.conftest import BrowserPage
from tests.browser.test_console import shown_text, sign_in
from tests.conftest import LiveStack
from tests.support import DEMO_ADMIN, bind_user, demo_enterprises, qr_codes

BEIJING = timezone(timedelta(hours=8))


def sign_in_as_admin(browser: BrowserPage, live_stack: LiveStack) -> None:
    sign_in(browser, live_stack, account=DEMO_ADMIN)
    browser.wait(
        lambda d: "管理员" in browser.find("#staff-name").text, message="sign-in did not finish"
    )


def image_codes(browser: BrowserPage, css: str) -> list[str]:
    """The QR codes in the image the page shows, read back from its pixels."""
    browser.wait(
        lambda d: d.execute_script(
            "const i = document.querySelector(arguments[0]);"
            "return !i.hidden && i.complete && i.naturalWidth > 0;",
            css,
        ),
        message=f"{css} shows no image",
    )
    data_url = browser.driver.execute_script(
        "const i = document.querySelector(arguments[0]);"
        "const c = document.createElement('canvas');"
        "c.width = i.naturalWidth; c.height = i.naturalHeight;"
        "c.getContext('2d').drawImage(i, 0, 0); return c.toDataURL('image/png');",
        css,
    )
    png = base64.b64decode(data_url.split(",", 1)[1])
    return qr_codes(png)


def test_an_admin_creates_an_event_prints_its_codes_and_watches_it_live(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    sign_in_as_admin(browser, live_stack)
    browser.goto(f"{live_stack.backend_url}/console/events")
    browser.wait(lambda d: browser.find("#event-create").is_displayed(), message="no create form")

    name = f"城东片区信易贷推介会 {uuid.uuid4().hex[:4]}"
    start = datetime.now(BEIJING) - timedelta(minutes=30)
    browser.find("#event-name").send_keys(name)
    browser.find("#event-place").send_keys("城东区政务服务中心三楼")
    # datetime-local takes its value in the page's own format; set it as a picker would.
    for css, moment in (("#event-start", start), ("#event-end", start + timedelta(hours=4))):
        browser.driver.execute_script(
            "document.querySelector(arguments[0]).value = arguments[1];",
            css,
            moment.strftime("%Y-%m-%dT%H:%M"),
        )
    browser.find("#event-submit").click()
    browser.wait(lambda d: browser.find("#event-title").text == name, message="event not opened")
    assert "活动码" in browser.find("#event-when").text

    h5_url = browser.find("#h5-link").text
    assert "/chat?event=" in h5_url
    assert image_codes(browser, "#h5-qr") == [h5_url]

    browser.find("#wechat-qr-make").click()
    (wechat_url,) = image_codes(browser, "#wechat-qr")
    assert wechat_url.startswith("http://weixin.qq.com/q/")
    code = h5_url.rsplit("=", 1)[1]
    scene = live_stack.wechat.qrcodes[-1]["action_info"]["scene"]["scene_str"]
    assert scene == f"event_{code}"
    browser.screenshot("console-event")

    # Someone registers through the event: the figures move without a reload.
    assert browser.find("#stat-registrations").text == "0"
    user = f"oEVENT-{uuid.uuid4().hex[:16]}"
    bind_user(live_stack.backend_url, "wechat", user, demo_enterprises()[2], event_code=code)
    browser.wait(
        lambda d: browser.find("#stat-registrations").text == "1",
        timeout=20,
        message="the live figures did not update",
    )
    assert browser.find("#stat-enterprises").text == "1"
    assert "自动刷新" in (shown_text(browser, "#stats-updated") or "")
    assert browser.horizontal_overflow() == 0
    browser.screenshot("console-event-live")


def test_agents_see_events_but_cannot_create_them(
    browser: BrowserPage, live_stack: LiveStack
) -> None:
    from tests.browser.test_console import signed_in

    signed_in(browser, live_stack)
    browser.goto(f"{live_stack.backend_url}/console/events")
    browser.wait(lambda d: browser.find("#events").text, message="no event list")
    assert not browser.find("#event-create").is_displayed()
