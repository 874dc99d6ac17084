"""`make run`'s last step: starts the three services, prints the URLs, and Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from stack import ROOT
from tests.support import free_port


def listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
        return True
    except httpx.TransportError:
        return False


def test_run_prints_the_urls_and_ctrl_c_stops_all_three(demo_database_url: str, tmp_path):
    ports = {"BACKEND_PORT": free_port(), "ACTIONS_PORT": free_port(), "RASA_PORT": free_port()}
    env = {
        **os.environ,
        "DATABASE_URL": demo_database_url,
        "XINYIDAI_STATE_DIR": str(tmp_path),
        **{k: str(v) for k, v in ports.items()},
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stack.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 300
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "按 Ctrl-C 停止全部服务" in line:
                break
        printed = "".join(output)
        assert f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/webhook" in printed, printed
        assert f"http://127.0.0.1:{ports['BACKEND_PORT']}" in printed
        for port in ports.values():
            assert listening(port)
        # The demo token in the printed chat link is one the h5 channel accepts.
        chat = re.search(r"H5 对话页\s+(\S+)#token=(\S+)", printed)
        assert chat, printed
        assert chat.group(1) == f"http://127.0.0.1:{ports['BACKEND_PORT']}/chat"
        assert httpx.get(chat.group(1)).status_code == 200
        reply = httpx.post(
            f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/h5/webhook",
            json={"message": "你好"},
            headers={"Authorization": f"Bearer {chat.group(2)}"},
            timeout=30,
        )
        assert reply.status_code == 200 and reply.json(), reply.text

        # what a terminal's Ctrl-C does: SIGINT to the foreground process group
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "已全部停止" in process.stdout.read()
    for port in ports.values():
        assert not listening(port)
    leftovers = subprocess.run(
        ["pgrep", "-f", f"--port {ports['RASA_PORT']}|--port {ports['ACTIONS_PORT']}"],
        capture_output=True,
        text=True,
    )
    assert leftovers.stdout == ""
