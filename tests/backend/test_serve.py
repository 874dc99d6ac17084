"""`python -m app.serve`, the production launcher (docker/backend-start.sh): workers with a
listening socket each, a worker that dies is replaced, and SIGTERM stops everything even while a
client keeps a connection open."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.config import REPO_ROOT

BACKEND_DIR = REPO_ROOT / "backend"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base_url: str

    def workers(self) -> list[int]:
        return _children(self.process.pid)


def _is_worker(pid: int) -> bool:
    """A live worker process (multiprocessing's spawn; its resource tracker is not one)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() and (
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        )
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    """Worker processes of `pid` (from /proc: the fourth field of stat is the parent)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and _is_worker(int(stat.parent.name)):
            found.append(int(stat.parent.name))
    return found


def _listening_inodes(pid: int) -> set[str]:
    """Socket inodes `pid` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "app.serve exited during start-up"
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("app.serve did not answer /health within 60 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "app.serve", "--workers", "2"),
            *("--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "2"),
        ],
        cwd=BACKEND_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
        yield Served(process, f"http://127.0.0.1:{port}")
    finally:
        # Killing only the supervisor would leave its workers serving.
        for pid in [*_children(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()


def test_two_workers_each_listening_and_a_dead_one_replaced(served: Served) -> None:
    workers = served.workers()
    assert len(workers) == 2
    # Each worker bound its own socket: no socket is shared between them (uvicorn --workers
    # would hand the supervisor's one socket to both).
    first, second = (_listening_inodes(pid) for pid in workers)
    assert first and second and not first & second

    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = [pid for pid in served.workers() if pid != workers[0]]
        if len(alive) == 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the supervisor did not replace the killed worker")
    _wait_healthy(served.base_url, served.process)


def test_sigterm_stops_with_a_keep_alive_connection_open(served: Served) -> None:
    with httpx.Client(base_url=served.base_url) as client:
        assert client.get("/health").status_code == 200  # the connection stays open
        workers = served.workers()
        served.process.send_signal(signal.SIGTERM)
        # The graceful shutdown gives open connections 2 s; the supervisor then ends.
        assert served.process.wait(timeout=30) == 0
    assert not any(_is_worker(pid) for pid in workers)
