"""Browser tests: Debian's headless Chromium driven through its chromedriver (selenium), against
the session's live stack (`live_stack`, tests/conftest.py).

`browser` is a page at a phone's size (375 × 812 CSS pixels) in a fresh profile for the session;
each test gets it with empty storage. `BrowserPage.screenshot(name)` saves
tests/artifacts/browser/<name>.png, and a failing test leaves one named after it.

Chromium and chromedriver come from the packages chromium and chromium-driver (`make test`
installs them under CI=true, as root). Missing, the tests are skipped with a message, and fail
under CI=true. CHROMIUM_BIN and CHROMEDRIVER_BIN point elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import ARTIFACTS

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
SCREENSHOTS = ARTIFACTS / "browser"
PHONE = {"width": 375, "height": 812, "pixelRatio": 2.0}
# Flags for a machine without a network: without the background-networking ones Chromium keeps
# trying to reach Google's hosts.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--lang=zh-CN",
)
WAIT_SECONDS = 30


def _executable(path: str) -> str | None:
    return path if os.access(path, os.X_OK) else shutil.which(Path(path).name)


def _require_browser() -> tuple[str, str]:
    chromium, chromedriver = _executable(CHROMIUM), _executable(CHROMEDRIVER)
    if chromium and chromedriver:
        return chromium, chromedriver
    missing = "、".join(
        p for p, found in ((CHROMIUM, chromium), (CHROMEDRIVER, chromedriver)) if not found
    )
    message = (
        f"没有找到 {missing}：浏览器测试需要 Debian 的 chromium 与 chromium-driver"
        "（apt-get install chromium chromium-driver；make test 在 CI=true 时自动安装）"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}。CI=true 时浏览器测试必须运行。", pytrace=False)
    pytest.skip(message)


class BrowserPage:
    """The one browser tab, with the few things the tests do with it."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def goto(self, url: str) -> None:
        self.driver.get(url)

    def wait(
        self,
        condition: Callable[[WebDriver], object],
        timeout: float = WAIT_SECONDS,
        message: str = "",
    ) -> object:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(condition, message)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def texts(self, css: str) -> list[str]:
        return [element.text for element in self.find_all(css)]

    def screenshot(self, name: str) -> Path:
        """The whole page (not only the viewport) as tests/artifacts/browser/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": PHONE["width"],
                "height": max(PHONE["height"], int(height)),
                "deviceScaleFactor": PHONE["pixelRatio"],
                "mobile": True,
            },
        )
        try:
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": PHONE["width"],
                    "height": PHONE["height"],
                    "deviceScaleFactor": PHONE["pixelRatio"],
                    "mobile": True,
                },
            )
        return path

    def horizontal_overflow(self) -> int:
        """CSS pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
        return int(
            self.driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
        )


@pytest.fixture(scope="session")
def _chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chromium, chromedriver = _require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument(f"--window-size={PHONE['width']},{PHONE['height']}")
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # An explicit chromedriver: selenium then never tries to download one.
    service = Service(
        executable_path=chromedriver, log_output=str(SCREENSHOTS / "chromedriver.log")
    )
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(_chromium: WebDriver, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    page = BrowserPage(_chromium)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(f"FAILED-{request.node.name}")
    # The next test starts with no storage: a new sign-in, no conversation.
    _chromium.execute_script("try { sessionStorage.clear(); localStorage.clear(); } catch (e) {}")
    _chromium.delete_all_cookies()
    _chromium.get("about:blank")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Keeps each phase's report on the test item, so `browser` knows whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
