"""Fixtures shared by the suites that run real services (actions, end-to-end and browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from stack import ROOT, Ports, Stack, backend_url, prepare_database, rasa_url, services
from tests import fake_wechat
from tests.fake_wechat import FakeWeChat, ThreadedFakeWeChat
from tests.fault_proxy import FaultProxy
from tests.support import ARTIFACTS, free_port

# The city app's HS256 secret on the live stack; tests mint user tokens with it (tests.support).
H5_JWT_SECRET = "test-city-app-secret-0123456789abcdef"
# The Official Account's 安全模式 key on the live stack: every WeChat message there is encrypted.
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# Below WeChat's 5 s so the slow-backend test is quick; ordinary turns take well under a second.
WECHAT_REPLY_TIMEOUT = 3.0


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh SQLite database, migrated and loaded with the demo city, for one test session."""
    path: Path = tmp_path_factory.mktemp("db") / "xinyidai.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    yield url


@dataclass
class LiveStack:
    stack: Stack
    backend_url: str
    rasa_url: str
    state_dir: Path
    wechat: FakeWeChat
    # Between the action server and the backend: tests make the backend slow or unreachable.
    backend_proxy: FaultProxy

    def say(self, sender: str, message: str) -> list[dict]:
        """One user turn on Rasa's REST channel; the bot's replies."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def all_logs(self) -> str:
        return "\n".join(
            self.stack.log_path(service).read_text(errors="replace")
            for service in self.stack.services
        )

    def tracker_store_bytes(self) -> bytes:
        """The raw SQLite file (and its WAL) of Rasa's conversation store."""
        return b"".join(
            path.read_bytes() for path in self.state_dir.glob("rasa-tracker.db*") if path.is_file()
        )

    def backend_log(self) -> str:
        backend = next(s for s in self.stack.services if s.name == "backend")
        return self.stack.log_path(backend).read_text(errors="replace")


@pytest.fixture(scope="session")
def live_stack(
    demo_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    """The three real services on free ports, one per test session: tests/e2e and tests/browser
    share it (here rather than in either folder, so that a run of both starts it once)."""
    # XINYIDAI_MODEL points the suite at another model (one trained elsewhere, say).
    model = Path(os.environ.get("XINYIDAI_MODEL") or ROOT / "models" / "current.tar.gz")
    if not model.exists():
        pytest.fail("没有训练好的模型 models/current.tar.gz：请先运行 make model")
    ports = Ports(backend=free_port(), actions=free_port(), rasa=free_port())
    state_dir = tmp_path_factory.mktemp("rasa-state")
    with ThreadedFakeWeChat() as wechat, FaultProxy(ports.backend) as backend_proxy:
        extra_env = {
            "H5_JWT_SECRET": H5_JWT_SECRET,
            "CHAT_WEBHOOK_URL": f"{rasa_url(ports)}/webhooks/h5/webhook",
            "PUBLIC_BASE_URL": backend_url(ports),
            "WECHAT_TOKEN": fake_wechat.TOKEN,
            "WECHAT_APP_ID": fake_wechat.APP_ID,
            "WECHAT_APP_SECRET": fake_wechat.APP_SECRET,
            "WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
            "WECHAT_API_BASE_URL": wechat.url,
            "WECHAT_REPLY_TIMEOUT": str(WECHAT_REPLY_TIMEOUT),
        }
        with Stack(
            services(
                ports,
                demo_database_url,
                model.resolve(),
                state_dir=state_dir,
                extra_env=extra_env,
                actions_backend_url=backend_proxy.url,
            ),
            ARTIFACTS / "e2e-logs",
        ) as stack:
            stack.wait_healthy(timeout=300)
            yield LiveStack(
                stack, backend_url(ports), rasa_url(ports), state_dir, wechat, backend_proxy
            )
