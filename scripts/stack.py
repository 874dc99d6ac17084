"""Starts the backend, the action server and Rasa as child processes, and stops all of them.

`make run` uses it as a program; the end-to-end tests import `Stack` to hold the same three real
processes. Standard library only, so it runs under either environment.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_BIN = ROOT / ".venv-bot" / "bin"
BACKEND_BIN = ROOT / ".venv-backend" / "bin"


@dataclass
class Service:
    name: str
    label: str
    command: list[str]
    health_url: str
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Ports:
    backend: int = 8000
    actions: int = 5055
    rasa: int = 5005

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            backend=int(os.environ.get("BACKEND_PORT", "8000")),
            actions=int(os.environ.get("ACTIONS_PORT", "5055")),
            rasa=int(os.environ.get("RASA_PORT", "5005")),
        )


def backend_url(ports: Ports) -> str:
    return f"http://127.0.0.1:{ports.backend}"


def rasa_url(ports: Ports) -> str:
    return f"http://127.0.0.1:{ports.rasa}"


def services(
    ports: Ports,
    database_url: str,
    model_path: Path,
    service_token: str = "dev-service-token",
    extra_env: dict[str, str] | None = None,
    state_dir: Path = ROOT / "var",
    actions_backend_url: str | None = None,
) -> list[Service]:
    """The three services of the embedded default profile: SQLite for the backend's data and for
    Rasa's conversations (under `state_dir`), in-memory lock store. `actions_backend_url` is where
    the action server reaches the backend when not directly (the tests' fault proxy)."""
    shared = {
        "SERVICE_TOKEN": service_token,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        # The H5 chat: the page (backend) posts to Rasa's h5 channel, which checks the city
        # app's JWT; the report links point back at the backend.
        "H5_JWT_SECRET": h5_secret(state_dir),
        "CHAT_WEBHOOK_URL": f"{rasa_url(ports)}/webhooks/h5/webhook",
        "PUBLIC_BASE_URL": backend_url(ports),
        **(extra_env or {}),
    }
    return [
        Service(
            name="backend",
            label="后端 (FastAPI)",
            command=[
                str(BACKEND_BIN / "uvicorn"),
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.backend),
            ],
            cwd=ROOT / "backend",
            health_url=f"{backend_url(ports)}/health",
            # The hotline console's script assistant asks Rasa's /model/parse.
            env={
                **shared,
                "DATABASE_URL": database_url,
                "RASA_URL": rasa_url(ports),
                # Events' WeChat QR codes come from the WeChat channel (it holds the token).
                "WECHAT_QRCODE_URL": f"{rasa_url(ports)}/webhooks/wechat/qrcodes",
            },
        ),
        Service(
            name="actions",
            label="动作服务器 (rasa-sdk)",
            command=[
                str(BOT_BIN / "python"),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(ports.actions),
            ],
            health_url=f"http://127.0.0.1:{ports.actions}/health",
            env={**shared, "BACKEND_URL": actions_backend_url or backend_url(ports)},
        ),
        Service(
            name="rasa",
            label="Rasa 对话服务",
            command=[
                str(BOT_BIN / "rasa"),
                "run",
                "--enable-api",
                "--cors",
                "*",
                "--model",
                str(model_path),
                "--credentials",
                "bot/credentials.yml",
                "--endpoints",
                "bot/endpoints.yml",
                "--port",
                str(ports.rasa),
            ],
            # /status answers only once the model is loaded, so "healthy" means ready to chat.
            health_url=f"{rasa_url(ports)}/status",
            env={
                **shared,
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports.actions}/webhook",
                # The WeChat channel uploads images users send (evidence) to the backend.
                "BACKEND_URL": backend_url(ports),
                "RASA_TRACKER_DB": str(state_dir / "rasa-tracker.db"),
                "TRACKER_ENCRYPTION_KEY": tracker_key(state_dir),
            },
        ),
    ]


def dev_secret(state_dir: Path, env: str, filename: str) -> str:
    """`env` when it is set; otherwise a random development secret kept in `state_dir/filename`
    (made on first use, mode 600), so restarts of the same state directory agree on it."""
    if value := os.environ.get(env):
        return value
    path = state_dir / filename
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def tracker_key(state_dir: Path) -> str:
    """The development Fernet key for the tracker store, made once per state directory."""
    return dev_secret(state_dir, "TRACKER_ENCRYPTION_KEY", "tracker.key")


def h5_secret(state_dir: Path) -> str:
    """The development stand-in for the city app's HS256 secret, made once per state directory
    (in production H5_JWT_SECRET or H5_JWT_PUBLIC_KEY come from the city app)."""
    return dev_secret(state_dir, "H5_JWT_SECRET", "h5-jwt.secret")


def demo_chat_url(ports: Ports, state_dir: Path, user: str = "demo-user") -> str:
    """The H5 chat page with a token for a demo user, signed as the city app would sign it."""
    token = subprocess.run(
        [str(BOT_BIN / "python"), "-m", "bot.channels.h5", "--sub", user],
        cwd=ROOT,
        env={**os.environ, "H5_JWT_SECRET": h5_secret(state_dir)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{backend_url(ports)}/chat#token={token}"


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


class StackError(RuntimeError):
    pass


class Stack:
    """The child processes, each in its own process group so stopping leaves nothing behind."""

    def __init__(self, services: Iterable[Service], log_dir: Path) -> None:
        self.services = list(services)
        self.log_dir = log_dir

    def log_path(self, service: Service) -> Path:
        return self.log_dir / f"{service.name}.log"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            self._launch(service, mode="wb")

    def _launch(self, service: Service, mode: str) -> None:
        log = self.log_path(service).open(mode)
        service.process = subprocess.Popen(
            service.command,
            cwd=service.cwd,
            env={**os.environ, **service.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def restart(self, name: str, timeout: float = 300) -> None:
        """Stops one service (SIGTERM, then SIGKILL) and starts it again, its log continued;
        returns once it is healthy. The fault tests restart Rasa mid-conversation."""
        service = next(s for s in self.services if s.name == name)
        _stop_group(service)
        self._launch(service, mode="ab")
        deadline = time.monotonic() + timeout
        while not is_healthy(service.health_url):
            self.raise_if_exited(service)
            if time.monotonic() > deadline:
                raise StackError(f"{name} not healthy {timeout:.0f}s after its restart")
            time.sleep(0.5)

    def wait_healthy(self, timeout: float = 180, progress: bool = False) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.services)
        announced: set[str] = set()
        while waiting:
            for service in list(waiting):
                self.raise_if_exited(service)
                if is_healthy(service.health_url):
                    waiting.remove(service)
                    if progress:
                        print(f"  ✓ {service.label} 已就绪", flush=True)
                elif progress and service.name not in announced:
                    announced.add(service.name)
                    print(f"  … 等待 {service.label}（{service.health_url}）", flush=True)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(service.name for service in waiting)
                raise StackError(f"services not healthy after {timeout:.0f}s: {names}")
            time.sleep(0.5)

    def raise_if_exited(self, service: Service) -> None:
        if service.process is not None and service.process.poll() is not None:
            tail = self.log_path(service).read_text(errors="replace")[-3000:]
            raise StackError(
                f"{service.name} exited with code {service.process.returncode}; log:\n{tail}"
            )

    def check_running(self) -> None:
        for service in self.services:
            self.raise_if_exited(service)

    def stop(self) -> None:
        running = [s for s in self.services if s.process and s.process.poll() is None]
        for service in running:
            _signal_group(service, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for service in running:
            assert service.process is not None
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(service, signal.SIGKILL)
                service.process.wait()
        # Workers a service forked may outlive their parent: clear the whole group.
        for service in self.services:
            _signal_group(service, signal.SIGKILL)

    def __enter__(self) -> Stack:
        try:
            self.start()
            return self
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _stop_group(service: Service) -> None:
    if service.process is None or service.process.poll() is not None:
        return
    _signal_group(service, signal.SIGTERM)
    try:
        service.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _signal_group(service, signal.SIGKILL)
        service.process.wait()
    _signal_group(service, signal.SIGKILL)


def _signal_group(service: Service, sig: signal.Signals) -> None:
    if service.process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(service.process.pid, sig)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def prepare_database(database_url: str) -> None:
    """Migrates the database to the newest schema and loads the demo city (both idempotent)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": database_url}
    python = str(BACKEND_BIN / "python")
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "app.seed"]):
        subprocess.run([python, *step], cwd=ROOT / "backend", env=env, check=True)


def default_database_url() -> str:
    return os.environ.get("DATABASE_URL", f"sqlite:///{ROOT}/var/xinyidai.db")


def main(argv: list[str]) -> int:
    if argv[1:] == ["prepare-db"]:
        prepare_database(default_database_url())
        return 0
    ports = Ports.from_env()
    database_url = default_database_url()
    model = ROOT / "models" / "current.tar.gz"
    if not model.exists():
        print("没有找到训练好的模型：请先运行 make model（make run 会自动完成）。", file=sys.stderr)
        return 1
    state_dir = Path(os.environ.get("XINYIDAI_STATE_DIR", ROOT / "var"))
    log_dir = state_dir / "logs"
    stack = Stack(
        services(
            ports,
            database_url,
            model.resolve(),
            service_token=os.environ.get("SERVICE_TOKEN", "dev-service-token"),
            state_dir=state_dir,
        ),
        log_dir,
    )
    # Ctrl-C reaches make and this process; the children have their own sessions, so we stop them.
    # Set both handlers explicitly: a shell may start us with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"==> 启动三个服务（日志在 {log_dir}/）", flush=True)
    try:
        stack.start()
        stack.wait_healthy(timeout=300, progress=True)
        rest = f"{rasa_url(ports)}/webhooks/rest/webhook"
        chat = demo_chat_url(ports, state_dir)
        print(
            "\n信易贷助手已启动：\n"
            f"  H5 对话页    {chat}\n"
            "               （示范用户 demo-user 的令牌，12 小时内有效；手机宽度浏览效果最佳）\n"
            f"  对话 (REST)  {rest}\n"
            f"  后端         {backend_url(ports)}  （接口文档 {backend_url(ports)}/docs）\n"
            f"  坐席控制台   {backend_url(ports)}/console\n"
            "               （示范账号 demo-agent / demo-agent-2026，管理员 demo-admin）\n"
            f"  动作服务器   http://127.0.0.1:{ports.actions}/health\n"
            f"  Rasa 接口    {rasa_url(ports)}/status\n\n"
            "试着说句话：\n"
            f"  curl -s {rest} -H 'Content-Type: application/json' "
            '-d \'{"sender": "demo", "message": "你好"}\'\n\n'
            "按 Ctrl-C 停止全部服务。",
            flush=True,
        )
        while True:
            stack.check_running()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\n==> 正在停止全部服务…", flush=True)
        return 0
    except StackError as error:
        print(f"\n启动失败：{error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("==> 已全部停止。", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
