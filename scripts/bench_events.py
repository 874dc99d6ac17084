"""Promotion-event load (`make bench-events`, part of `make bench`): a script that prints figures,
not a test.

500 people at a 政银企对接会 scan the event's WeChat QR code and register on the spot. For each
backend database (SQLite, the embedded default, and PostgreSQL) the script starts the local stack
(backend, action server, Rasa with the trained model) with the WeChat channel in 安全模式 pointed at
the local fake of WeChat's API server (tests/fake_wechat.py), creates the event as an
administrator, and lets the simulated followers arrive spread over the first part of the window.
Each one does what a person does on the phone: subscribe with the event's scene → the enterprise
name → the USCC → their name → their role → their phone → the SMS code (read from the
development outbox, as from the phone) → 注册成功, with a short pause between messages.

Every message goes as WeChat sends it: signed and encrypted with wechatpy's crypto, answered
passively or with `success` and then a customer-service message (which the fake receives and
hands to the waiting follower). WeChat gives up on a request after 5 s and sends the same message
again, at most three times in all: so does the simulator, with the same MsgId.

Printed per database: registrations landed (in the backend, attributed to the event), lost
(followers who saw no 注册成功 or whose registration is not in the backend), duplicated (more than
one registration row for one follower), attributed, reply latency p50/p95/max (from the first
delivery of a message to its reply: passive, or the custom send) and how many replies came later
than 4.5 s, WeChat retries sent, and turns per second. Target: 500 landed, 0 lost, 0 duplicated,
all attributed, no reply later than 4.5 s.

    .venv-backend/bin/python scripts/bench_events.py [--users 500] [--window 60] [--db both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "backend"), str(ROOT / "scripts")]

from stack import Ports, Stack, backend_url, prepare_database, rasa_url, services  # noqa: E402
from tests import fake_wechat  # noqa: E402
from tests.fake_wechat import (  # noqa: E402
    ThreadedFakeWeChat,
    event_xml,
    passive_content,
    signed_request,
    text_xml,
)
from tests.support import create_running_event, free_port, staff_sign_in  # noqa: E402

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_GIVES_UP = 5.0  # seconds WeChat waits for an answer before it sends the message again
WECHAT_DELIVERIES = 3
LATE = 4.5
SERVICE = {"Authorization": "Bearer dev-service-token"}
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "xinyidai_bench_events"


@dataclass
class Follower:
    openid: str
    enterprise: dict[str, str]
    phone: str
    inbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    registered: bool = False
    failure: str = ""


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    turns: int = 0


class Simulation:
    def __init__(self, live_rasa: str, backend: str, loop: asyncio.AbstractEventLoop) -> None:
        self.webhook = f"{live_rasa}/webhooks/wechat/webhook"
        self.backend = backend
        self.loop = loop
        self.followers: dict[str, Follower] = {}
        self.figures = Figures()
        limits = httpx.Limits(max_connections=600, max_keepalive_connections=600)
        self.client = httpx.AsyncClient(limits=limits, timeout=WECHAT_GIVES_UP)

    def on_send(self, message: dict) -> None:
        """From the fake WeChat's thread: a customer-service message for one follower."""
        follower = self.followers.get(message.get("touser", ""))
        if follower is not None:
            content = message["text"]["content"]
            self.loop.call_soon_threadsafe(follower.inbox.put_nowait, content)

    async def deliver(self, follower: Follower, xml: str) -> str:
        """One message as WeChat delivers it; the reply text (passive or custom send)."""
        started = time.monotonic()
        self.figures.turns += 1
        reply = ""
        for delivery in range(WECHAT_DELIVERIES):
            if delivery:
                self.figures.retries += 1
            params, body = signed_request(xml, aes_key=AES_KEY)
            try:
                response = await self.client.post(self.webhook, params=params, content=body)
            except httpx.TransportError:
                # No answer in time (or the connection dropped): WeChat sends it again.
                continue
            if response.status_code == 200:
                reply = passive_content(response.text, follower.openid, AES_KEY)
                break
        if reply and reply != "success":
            self.figures.latencies.append(time.monotonic() - started)
            return reply
        try:
            first = await asyncio.wait_for(follower.inbox.get(), timeout=30)
        except TimeoutError:
            return ""
        self.figures.latencies.append(time.monotonic() - started)
        # A reply split over several messages: the rest follow at once.
        parts = [first]
        while True:
            try:
                parts.append(await asyncio.wait_for(follower.inbox.get(), timeout=0.3))
            except TimeoutError:
                return "\n".join(parts)

    async def say(self, follower: Follower, text: str) -> str:
        return await self.deliver(follower, text_xml(text, openid=follower.openid))

    async def sms_code(self, phone: str) -> str:
        outbox = await self.client.get(
            f"{self.backend}/api/v1/dev/sms-outbox", params={"phone": phone}, headers=SERVICE
        )
        return outbox.json()["items"][0]["code"]

    async def register(self, follower: Follower, scene: str, start_at: float, pause: float) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        enterprise = follower.enterprise
        steps = [
            (event_xml("subscribe", f"qrscene_{scene}", openid=follower.openid), "企业的全称"),
            (enterprise["name"], "统一社会信用代码"),
            (enterprise["uscc"], "姓名"),
            (enterprise["legal_representative"], "法定代表人"),
            ("法定代表人", "手机号"),
            (follower.phone, "验证码"),
        ]
        for message, expected in steps:
            xml = message if message.startswith("<xml>") else None
            reply = await (self.deliver(follower, xml) if xml else self.say(follower, message))
            if expected not in reply:
                follower.failure = f"{message[:20]!r} → {reply[:60]!r}"
                return
            await asyncio.sleep(pause * random.uniform(0.5, 1.5))
        reply = await self.say(follower, await self.sms_code(follower.phone))
        follower.registered = "注册成功" in reply
        if not follower.registered:
            follower.failure = f"code → {reply[:60]!r}"


def registry_enterprises(database_url: str) -> list[dict[str, str]]:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from app.models import RegistryEntity

    engine = create_engine(database_url)
    with Session(engine) as session:
        rows = session.scalars(
            select(RegistryEntity)
            .where(RegistryEntity.status.in_(["存续", "在业"]))
            .order_by(RegistryEntity.id)
        ).all()
        found = [
            {"name": r.name, "uscc": r.uscc, "legal_representative": r.legal_representative}
            for r in rows
        ]
    engine.dispose()
    return found


def event_registrations(database_url: str, event_id: int) -> tuple[int, int, int]:
    """(rows attributed to the event, distinct followers among them, followers with >1 row)."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from app.models import Binding, ChatUser, Registration

    engine = create_engine(database_url)
    with Session(engine) as session:
        per_user = (
            select(ChatUser.external_user_id, func.count(Registration.id).label("n"))
            .join(Binding, Binding.chat_user_id == ChatUser.id)
            .join(Registration, Registration.binding_id == Binding.id)
            .where(ChatUser.channel == "wechat", ChatUser.external_user_id.like("oBENCH-%"))
            .group_by(ChatUser.external_user_id)
            .subquery()
        )
        attributed = session.scalar(
            select(func.count(Registration.id)).where(Registration.event_id == event_id)
        )
        users = session.scalar(select(func.count()).select_from(per_user))
        duplicated = session.scalar(
            select(func.count()).select_from(per_user).where(per_user.c.n > 1)
        )
    engine.dispose()
    return int(attributed or 0), int(users or 0), int(duplicated or 0)


def fresh_postgres_url() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DATABASE}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run_load(
    live_rasa: str, backend: str, database_url: str, wechat, users: int, window: float
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    sim = Simulation(live_rasa, backend, loop)
    wechat.on_send = sim.on_send
    # Before the load starts: a blocking call here holds up nothing.
    event = create_running_event(
        backend, staff_sign_in(backend), "示范市政银企对接会（负载测试）", "示范市会展中心"
    )
    enterprises = registry_enterprises(database_url)
    for number in range(users):
        follower = Follower(
            openid=f"oBENCH-{uuid.uuid4().hex[:20]}",
            enterprise=enterprises[number % len(enterprises)],
            phone=f"15{number:09d}",
        )
        sim.followers[follower.openid] = follower
    # Arrivals spread over the first half of the window, so everyone can finish inside it.
    started = time.monotonic()
    arrivals = window / 2
    pause = 1.0
    tasks = [
        sim.register(f, f"event_{event['code']}", started + i * arrivals / users, pause)
        for i, f in enumerate(sim.followers.values())
    ]
    done = 0

    async def progress() -> None:
        while done < users:
            await asyncio.sleep(10)
            landed = sum(f.registered for f in sim.followers.values())
            print(
                f"    {time.monotonic() - started:5.0f} s：{landed}/{users} 已注册，"
                f"{sim.figures.turns} 条消息",
                flush=True,
            )

    reporter = asyncio.create_task(progress())
    for finished in asyncio.as_completed(tasks):
        await finished
        done += 1
    elapsed = time.monotonic() - started
    reporter.cancel()
    await sim.client.aclose()
    wechat.on_send = None

    attributed, in_backend, duplicated = event_registrations(database_url, event["id"])
    seen = sum(f.registered for f in sim.followers.values())
    failures = [f.failure for f in sim.followers.values() if f.failure][:3]
    latencies = sim.figures.latencies
    return {
        "landed": in_backend,
        "lost": users - min(seen, in_backend),
        "duplicated": duplicated,
        "attributed": attributed,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies, default=float("nan")),
        "late": sum(latency > LATE for latency in latencies),
        "retries": sim.figures.retries,
        "turns_per_s": sim.figures.turns / elapsed,
        "elapsed": elapsed,
        "failures": failures,
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
    }


def run_on(database: str, users: int, window: float) -> dict[str, object]:
    print(f"==> {database}：准备数据库并启动本地服务", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        state = Path(tmp)
        url = f"sqlite:///{state}/xinyidai.db" if database == "SQLite" else fresh_postgres_url()
        prepare_database(url)
        ports = Ports(backend=free_port(), actions=free_port(), rasa=free_port())
        with ThreadedFakeWeChat() as wechat:
            env = {
                "WECHAT_TOKEN": fake_wechat.TOKEN,
                "WECHAT_APP_ID": fake_wechat.APP_ID,
                "WECHAT_APP_SECRET": fake_wechat.APP_SECRET,
                "WECHAT_ENCODING_AES_KEY": AES_KEY,
                "WECHAT_API_BASE_URL": wechat.url,
            }
            model = (ROOT / "models" / "current.tar.gz").resolve()
            logs = ROOT / "var" / "bench-events" / database
            stack = Stack(services(ports, url, model, extra_env=env, state_dir=state), logs)
            with stack:
                stack.wait_healthy(timeout=300, progress=True)
                print(f"==> {database}：{users} 人扫码注册，{window:.0f} 秒窗口", flush=True)
                before = {s.name: cpu_seconds(s.process.pid) for s in stack.services}
                result = asyncio.run(
                    run_load(rasa_url(ports), backend_url(ports), url, wechat, users, window)
                )
                result["cpu"] = {
                    s.name: cpu_seconds(s.process.pid) - before[s.name] for s in stack.services
                }
                return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--window", type=float, default=60.0, help="秒：全部注册应在此时间内完成")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    if not (ROOT / "models" / "current.tar.gz").exists():
        print("没有训练好的模型：请先运行 make model", file=sys.stderr)
        return 2
    print(f"服务日志：{ROOT / 'var' / 'bench-events'}", flush=True)
    databases = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"]}.get(
        args.db, ["SQLite", "PostgreSQL"]
    )
    results = {name: run_on(name, args.users, args.window) for name in databases}

    print()
    print(f"推广活动扫码注册：{args.users} 人，目标 {args.window:.0f} 秒内全部完成")
    header = (
        f"{'数据库':<11}{'落库':>6}{'丢失':>6}{'重复':>6}{'归因':>6}"
        f"{'p50 s':>8}{'p95 s':>8}{'最长 s':>8}{'>4.5s':>7}{'重发':>6}{'消息/s':>8}{'用时 s':>8}"
    )
    print(header)
    for name, r in results.items():
        print(
            f"{name:<13}{r['landed']:>6}{r['lost']:>6}{r['duplicated']:>6}{r['attributed']:>6}"
            f"{r['p50']:>8.2f}{r['p95']:>8.2f}{r['max']:>8.2f}{r['late']:>7}{r['retries']:>6}"
            f"{r['turns_per_s']:>8.1f}{r['elapsed']:>8.1f}"
        )
    for name, r in results.items():
        cpu = "，".join(f"{service} {seconds:.0f} s" for service, seconds in r["cpu"].items())
        print(f"  {name} 各服务 CPU：{cpu}（两核 × 用时 = {2 * r['elapsed']:.0f} s）")
    for name, r in results.items():
        for failure in r["failures"]:
            print(f"  {name} 未完成示例：{failure}")
    met = all(
        r["landed"] == args.users
        and r["lost"] == 0
        and r["duplicated"] == 0
        and r["attributed"] == args.users
        and r["late"] == 0
        and r["elapsed"] <= args.window
        for r in results.values()
    )
    print(
        "目标："
        + ("达到" if met else "未达到")
        + f"（{args.users} 落库、0 丢失、0 重复、全部归因、无回复晚于 4.5 s）"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
