"""Backend benchmark (`make bench-backend`): a script that prints figures, not a test.

Against the 200,000-enterprise PostgreSQL schema (`make seed-scale` runs first if it is not
loaded) it starts the backend with uvicorn on a free port, binds a sample of chat users to
enterprises (inserted directly, as completed registrations leave them), and measures:

- 信用自查概要  GET  /api/v1/enterprises/{id}/credit-summary
- 产品匹配      POST /api/v1/enterprises/{id}/product-matches
- 实名注册      the bot's way when the backend offers it: POST /api/v1/registrations/sms-codes,
  the code from GET /api/v1/dev/sms-outbox, POST /api/v1/registrations (one registration = three
  calls, each a new chat user and phone); else POST /api/v1/bindings

each at 1 and at 50 closed-loop clients (every client sends its next request as soon as the answer
arrives, so 50 clients means 50 requests in flight all the time), GET /health at 50 clients as the
floor any endpoint costs, and the self-check open-loop at a fixed arrival rate over at most 50
connections (latency counted from the scheduled send time, so queueing is not hidden).

Load generators. The closed-loop rows of the self-check, matching and /health run on wrk (Debian
package `wrk`; `make bench-backend` installs it when run as root): 50 keep-alive connections in one
wrk thread, a Lua script rotating over the sample's (chat user, enterprise) pairs with the service
token and X-Chat-Channel / X-Chat-User-Id headers; latencies are wrk's (from its histogram, per
request, send to last byte). wrk spends about 0.03 ms of CPU per request; the asyncio httpx
generator spent about 1 ms, on the same two cores as the server, which alone capped the machine
well below what the server can do. Registration (three dependent calls, the code read back from
the outbox) and the open-loop row stay on httpx, as do all rows when wrk is missing
(`--load-generator httpx` forces it; the table's 压测端 column says which one ran).

The table: p50, p95, p99 latency, throughput, errors (any 4xx/5xx or socket error), and the CPU
one request costs in the server (uvicorn and its workers), in its PostgreSQL backends and in the
load generator, read from /proc and getrusage, so it holds whatever else the machine is doing;
the system load at the start and the end is printed with it. On a shared machine the latencies
depend on what else runs (other jobs take their share of the two cores); the CPU per request
hardly does, and it bounds what the machine can do:
2 cores ÷ CPU per request = the most requests per second, and at 50 closed-loop clients the mean
latency is at least 50 ÷ that (Little's law), printed after the table. Target: self-check p95
≤ 50 ms at 50 clients, 0 errors.

Below the table, for each wrk row with more than one connection: how its connections were spread
over the uvicorn processes half-way through. The backend runs as in production,
`python -m app.serve`: each worker has its own SO_REUSEPORT listening socket, so the kernel spreads
the connections about evenly (26 / 24, 30 / 20, 25 / 25), with the request threads and pooled
connections of `app/core/config.py` unless --threads/--pool say otherwise. An `s` after a --sweep
configuration runs `uvicorn --workers` instead, whose workers share one listening socket: the
first to wake accepts every pending connection, so 50 connections opened at once often land
unevenly (50 / 0, 46 / 4, 41 / 9), a worker holding most of them runs on one core while the other
idles, and those connections queue behind each other — the long tail.

--sweep W×T[×P] … measures the self-check at 50 clients for each configuration (workers × request
threads per worker [× pooled connections]); --sweep-only skips the other rows, and --calm 1.5
waits before each row until the 1-minute load is below 1.5 (the benchmark's own previous row
raises it as much as other jobs do). Every row shows the load before and after it.

Rows the benchmark adds (bench* chat users, their bindings, registrations, audit entries) stay in
the scale schema; a rerun reuses the sample bindings and registers new users.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BACKEND_DIR = ROOT / "backend"
sys.path.insert(0, str(BACKEND_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed_scale  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.core.config import REQUEST_THREADS  # noqa: E402
from app.core.db import create_db_engine  # noqa: E402
from app.enums import BindingRole  # noqa: E402
from app.models import Binding, ChatUser, CreditRecord, Enterprise, RegistryEntity  # noqa: E402
from app.seed import loaded_state, migration_problem  # noqa: E402

TOKEN = "bench-service-token"
BENCH_CHANNEL = "bench"
REGISTER_CHANNEL = "benchreg"
APPLICATION_NAME = "xinyidai_bench"
SCALE_ENTERPRISES = seed_scale.DEFAULT_ENTERPRISES
DEFAULT_WORKERS = 2
WORKERS_NOTE = (
    "本机 2 核且 CPU 是瓶颈：1 个 worker 用不满两核；2 个与 3 个吞吐相当；4 个时 worker、"
    "压测端与 PostgreSQL 争抢同样两核、连接更多，吞吐反降。取 2（--sweep-workers 可复测）；"
    "每个 worker 的请求线程与连接池见 app/core/config.py（--sweep 可复测）"
)


# ---------------------------------------------------------------------------- setup
def ensure_scale_data(engine: Engine) -> tuple[int, int]:
    """(entities, records) of the scale schema, running seed-scale first when it is missing."""
    try:
        with Session(engine) as session:
            state = None if migration_problem(engine) else loaded_state(session)
    except Exception:  # an absent schema or database: seed-scale explains
        state = None
    if state is None or state.entities < SCALE_ENTERPRISES:
        print("==> 规模数据未就绪，先运行 seed-scale", flush=True)
        seed_scale.seed_scale()
    with Session(engine) as session:
        entities = session.scalar(select(func.count()).select_from(RegistryEntity)) or 0
        records = session.scalar(select(func.count()).select_from(CreditRecord)) or 0
    return entities, records


def _sample_ids(session: Session, size: int, seed: int) -> list[int]:
    ids = session.scalars(select(RegistryEntity.id).order_by(RegistryEntity.id)).all()
    return random.Random(seed).sample(list(ids), size)


def bind_sample(engine: Engine, size: int, seed: int = 7) -> list[tuple[str, int]]:
    """Binds chat users bench-00000… to a fixed random sample of registry entities, as completed
    registrations leave them (inserted directly: registration is measured on its own). Returns
    (user id, enterprise id) pairs."""
    with Session(engine) as session:
        sample = _sample_ids(session, size, seed)
        entities = {
            e.id: e
            for e in session.execute(
                select(
                    RegistryEntity.id,
                    RegistryEntity.uscc,
                    RegistryEntity.name,
                    RegistryEntity.legal_representative,
                ).where(RegistryEntity.id.in_(sample))
            )
        }
        session.execute(
            pg_insert(Enterprise)
            .values(
                [
                    {
                        "registry_entity_id": e.id,
                        "uscc": e.uscc,
                        "name": e.name,
                        "is_individual_business": e.uscc.startswith("92"),
                    }
                    for e in entities.values()
                ]
            )
            .on_conflict_do_nothing()
        )
        users = [f"bench-{i:05d}" for i in range(size)]
        session.execute(
            pg_insert(ChatUser)
            .values([{"channel": BENCH_CHANNEL, "external_user_id": u} for u in users])
            .on_conflict_do_nothing()
        )
        user_ids = {
            external: id_
            for external, id_ in session.execute(
                select(ChatUser.external_user_id, ChatUser.id).where(
                    ChatUser.channel == BENCH_CHANNEL
                )
            )
        }
        enterprise_ids = {
            registry_id: id_
            for registry_id, id_ in session.execute(
                select(Enterprise.registry_entity_id, Enterprise.id).where(
                    Enterprise.registry_entity_id.in_(sample)
                )
            )
        }
        session.execute(
            pg_insert(Binding)
            .values(
                [
                    {
                        "chat_user_id": user_ids[user],
                        "enterprise_id": enterprise_ids[registry_id],
                        "role": BindingRole.LEGAL_REPRESENTATIVE.value,
                        "person_name": entities[registry_id].legal_representative,
                    }
                    for user, registry_id in zip(users, sample, strict=True)
                ]
            )
            .on_conflict_do_nothing()
        )
        session.commit()
    return [(u, enterprise_ids[r]) for u, r in zip(users, sample, strict=True)]


def registry_sample(engine: Engine, size: int, seed: int = 11) -> list[dict[str, str]]:
    """What registering users type from their licences: name, code and legal representative."""
    with Session(engine) as session:
        sample = _sample_ids(session, size, seed)
        rows = session.execute(
            select(
                RegistryEntity.uscc, RegistryEntity.name, RegistryEntity.legal_representative
            ).where(RegistryEntity.id.in_(sample))
        ).all()
    return [{"uscc": u, "enterprise_name": n, "person_name": p} for u, n, p in rows]


# ---------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


def server_database_url() -> str:
    """The scale schema, with an application_name by which the server's PostgreSQL backends
    can be told apart from everyone else's (for their CPU time)."""
    url = make_url(seed_scale.scale_database_url())
    return url.update_query_dict({"application_name": APPLICATION_NAME}).render_as_string(
        hide_password=False
    )


@dataclass(frozen=True)
class ServerConfig:
    """How the backend serves: uvicorn workers, request threads and pooled PostgreSQL
    connections per worker (None: the backend's defaults, Settings in app/core/config.py)."""

    workers: int = DEFAULT_WORKERS
    threads: int | None = None
    pool: int | None = None
    shared_socket: bool = False  # app.serve (as production starts), else uvicorn --workers

    @classmethod
    def parse(cls, spec: str) -> ServerConfig:
        """`workers×threads[×pool]` (x or ×), e.g. 2x4 or 1x6x6; a trailing `s` runs uvicorn
        --workers (one listening socket shared by the workers) instead of app.serve, e.g. 2x20s
        (a trailing `r`, app.serve, is accepted too)."""
        text = spec.strip()
        shared = text.endswith("s")
        try:
            parts = [int(part) for part in re.split(r"[x×]", text.rstrip("rs"))]
        except ValueError:
            parts = []
        if not 1 <= len(parts) <= 3:
            raise argparse.ArgumentTypeError(f"应为 worker×线程[×连接池][s]：{spec}")
        workers, *rest = parts
        return cls(workers, *rest, shared_socket=shared)  # type: ignore[arg-type]

    def label(self) -> str:
        threads = f"{REQUEST_THREADS}（默认）" if self.threads is None else str(self.threads)
        pool = "同线程数" if self.pool is None else str(self.pool)
        sockets = "共用一个监听套接字" if self.shared_socket else "各自的监听套接字"
        return f"{self.workers} 个 worker（{sockets}）× {threads} 线程、连接池 {pool}"


@contextmanager
def backend(config: ServerConfig, log_path: Path) -> Iterator[Server]:
    """uvicorn (uvloop + httptools from uvicorn[standard]) without access logs, on a free port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": server_database_url(), "SERVICE_TOKEN": TOKEN}
    env.pop("SMS_PROVIDER", None)  # the development outbox, which the registration flow reads
    for name, value in (("REQUEST_THREADS", config.threads), ("DB_POOL_SIZE", config.pool)):
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    launcher = ("uvicorn", "app.main:app") if config.shared_socket else ("app.serve",)
    command = [
        *(sys.executable, "-m", *launcher),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(config.workers)),
        *("--no-access-log", "--log-level", "warning"),
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=BACKEND_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"后端启动失败，见 {log_path}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"后端 60 秒内未就绪，见 {log_path}")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------- CPU time
def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (all its threads), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


@dataclass
class CpuSnapshot:
    server: dict[int, float]
    database: dict[int, float]
    client: float


class CpuProbe:
    """CPU seconds spent by the uvicorn processes, by the PostgreSQL backends serving them and
    by this load generator: what one request really costs, whatever else runs on the machine."""

    def __init__(self, server: Server, engine: Engine) -> None:
        self.server_pid = server.pid
        self.engine = engine

    def snapshot(self) -> CpuSnapshot:
        with self.engine.connect() as connection:
            backends = connection.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APPLICATION_NAME},
            ).all()
        return CpuSnapshot(
            server={pid: _cpu_seconds(pid) for pid in _descendants(self.server_pid)},
            database={pid: _cpu_seconds(pid) for pid in backends},
            client=time.process_time(),
        )

    @staticmethod
    def spent(before: CpuSnapshot, after: CpuSnapshot) -> tuple[float, float, float]:
        def delta(a: dict[int, float], b: dict[int, float]) -> float:
            return sum(cpu - a.get(pid, 0.0) for pid, cpu in b.items())

        return (
            delta(before.server, after.server),
            delta(before.database, after.database),
            after.client - before.client,
        )


# ---------------------------------------------------------------------------- load
@dataclass
class Result:
    """One row. The httpx generator keeps every latency; wrk reports its own percentiles (from
    its histogram, µs resolution) and counts, which `from_wrk` stores in `reported`."""

    name: str
    load: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    error_samples: list[str] = field(default_factory=list)
    cpu: tuple[float, float, float] | None = None  # server, PostgreSQL, client seconds
    generator: str = "httpx"
    reported: dict[str, float] | None = None  # wrk: ok, p50, p95, p99 (ms)
    spread: list[int] = field(default_factory=list)  # wrk: connections per uvicorn process
    machine_load: str = ""  # the 1-minute system load before → after the row

    def record(self, started: float, done: float, error: str | None) -> None:
        if error is None:
            self.latencies.append(done - started)
            return
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(error)

    @property
    def succeeded(self) -> int:
        return int(self.reported["ok"]) if self.reported else len(self.latencies)

    @property
    def requests(self) -> int:
        return self.succeeded + self.errors

    def percentile(self, p: float) -> float:
        if self.reported:
            return self.reported.get(f"p{p:g}", float("nan"))
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return self.succeeded / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_ms(self) -> tuple[float, float, float] | None:
        """CPU milliseconds per request: server, PostgreSQL, load generator."""
        if self.cpu is None or not self.requests:
            return None
        server, database, client = self.cpu
        n = self.requests
        return 1000 * server / n, 1000 * database / n, 1000 * client / n

    def row(self) -> str:
        cpu = self.cpu_ms
        cpu_text = "–" if cpu is None else f"{cpu[0]:.2f} + {cpu[1]:.2f} + {cpu[2]:.2f}"
        return (
            f"| {self.name} | {self.load} | {self.machine_load} | {self.generator} | "
            f"{self.requests} | {self.errors} | "
            f"{self.throughput:.0f} | {self.percentile(50):.1f} | {self.percentile(95):.1f} | "
            f"{self.percentile(99):.1f} | {cpu_text} |"
        )


# One operation: returns None when it succeeded, else a short description of what failed.
Operation = Callable[[httpx.AsyncClient, int], Awaitable[str | None]]


@cache
def _tls() -> ssl.SSLContext:
    # Unused on plain http, but httpx builds one per client unless given one (loading the CA
    # bundle: tens of ms of CPU each, seconds for 50 clients on a busy machine).
    return ssl.create_default_context()


def _client(base: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {TOKEN}"},
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=30,
        verify=_tls(),
    )


async def _attempt(operation: Operation, client: httpx.AsyncClient, n: int) -> str | None:
    try:
        return await operation(client, n)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


async def _probe_window(
    probe: CpuProbe | None, result: Result, measure_from: float, stop: float
) -> None:
    if probe is None:
        return
    await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
    before = probe.snapshot()
    await asyncio.sleep(max(0.0, stop - time.perf_counter()))
    result.cpu = CpuProbe.spent(before, probe.snapshot())


async def closed_loop(
    server: Server,
    name: str,
    operation: Operation,
    clients: int,
    seconds: float,
    warmup: float,
    probe: CpuProbe | None = None,
) -> Result:
    """`clients` clients, each sending the next request as soon as the answer arrives, for
    `warmup` + `seconds`; only what starts inside the measured window counts. Every client has
    its own httpx client and keep-alive connection, like separate callers: one shared client
    with 50 connections spent about 5 ms of CPU per request in its own pool bookkeeping, CPU
    taken from the server on the same two cores."""
    result = Result(name, f"{clients} 个客户端（闭环）")
    counter = iter(range(10**9))
    measure_from = time.perf_counter() + warmup
    stop = measure_from + seconds
    window = asyncio.create_task(_probe_window(probe, result, measure_from, stop))

    async def one_client() -> None:
        async with _client(server.base, 1) as client:
            while (started := time.perf_counter()) < stop:
                error = await _attempt(operation, client, next(counter))
                if started >= measure_from:
                    result.record(started, time.perf_counter(), error)

    await asyncio.gather(*(one_client() for _ in range(clients)))
    result.elapsed = time.perf_counter() - measure_from
    await window
    return result


async def open_loop(
    server: Server,
    name: str,
    operation: Operation,
    rate: float,
    seconds: float,
    warmup: float,
    probe: CpuProbe | None = None,
) -> Result:
    """Requests at a fixed rate over at most 50 connections (one httpx client each), each timed
    from when it was due, so waiting for a free connection counts."""
    result = Result(name, f"开环 {rate:.0f} 次/秒（≤50 连接）")
    idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    clients = [_client(server.base, 1) for _ in range(50)]
    for client in clients:
        idle.put_nowait(client)
    start = time.perf_counter()
    measure_from = start + warmup
    window = asyncio.create_task(_probe_window(probe, result, measure_from, measure_from + seconds))

    async def one(n: int, due: float) -> None:
        client = await idle.get()
        try:
            error = await _attempt(operation, client, n)
        finally:
            idle.put_nowait(client)
        if due >= measure_from:
            result.record(due, time.perf_counter(), error)

    tasks = []
    for n in range(int((warmup + seconds) * rate)):
        due = start + n / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    result.elapsed = seconds
    await window
    for client in clients:
        await client.aclose()
    return result


def _failed(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    return (
        f"{response.request.method} {response.request.url.path} → {response.status_code} "
        + (response.text[:160])
    )


def summary_operation(pairs: list[tuple[str, int]]) -> Operation:
    async def operation(client: httpx.AsyncClient, n: int) -> str | None:
        user, enterprise_id = pairs[n % len(pairs)]
        return _failed(
            await client.get(
                f"/api/v1/enterprises/{enterprise_id}/credit-summary",
                headers={"X-Chat-Channel": BENCH_CHANNEL, "X-Chat-User-Id": user},
            )
        )

    return operation


async def health_operation(client: httpx.AsyncClient, n: int) -> str | None:
    return _failed(await client.get("/health"))


NEEDS = (
    {"amount": 50, "term_months": 12, "purpose": "流动资金周转"},
    {"amount": 200, "term_months": 12, "purpose": "履行政府采购合同"},
    {"amount": 500, "term_months": 36, "purpose": "智能化改造"},
    {},
)


def matching_operation(pairs: list[tuple[str, int]]) -> Operation:
    async def operation(client: httpx.AsyncClient, n: int) -> str | None:
        user, enterprise_id = pairs[n % len(pairs)]
        return _failed(
            await client.post(
                f"/api/v1/enterprises/{enterprise_id}/product-matches",
                json=NEEDS[n % len(NEEDS)],
                headers={"X-Chat-Channel": BENCH_CHANNEL, "X-Chat-User-Id": user},
            )
        )

    return operation


def registration_operation(registry: list[dict[str, str]], run: int) -> Operation:
    """The bot's registration: ask for an SMS code, read it from the development outbox (where a
    user would read their phone), register with it. A new chat user and phone every time (a
    phone may ask for a code once a minute)."""
    serial = iter(range(10**5))

    async def operation(client: httpx.AsyncClient, n: int) -> str | None:
        k = next(serial)
        user = f"r{run:04d}-{k:05d}"
        phone = f"13{run:04d}{k:05d}"
        headers = {"X-Chat-Channel": REGISTER_CHANNEL, "X-Chat-User-Id": user}
        sent = await client.post(
            "/api/v1/registrations/sms-codes", json={"phone": phone}, headers=headers
        )
        if error := _failed(sent):
            return error
        outbox = await client.get("/api/v1/dev/sms-outbox", params={"phone": phone})
        if error := _failed(outbox):
            return error
        code = outbox.json()["items"][0]["code"]
        registered = await client.post(
            "/api/v1/registrations",
            json={
                **registry[k % len(registry)],
                "role": BindingRole.LEGAL_REPRESENTATIVE.value,
                "phone": phone,
                "sms_code": code,
            },
            headers={**headers, "Idempotency-Key": f"bench-{user}"},
        )
        return _failed(registered)

    return operation


def binding_operation(registry: list[dict[str, str]], run: int) -> Operation:
    serial = iter(range(10**5))

    async def operation(client: httpx.AsyncClient, n: int) -> str | None:
        k = next(serial)
        return _failed(
            await client.post(
                "/api/v1/bindings",
                json={
                    "channel": REGISTER_CHANNEL,
                    "user_id": f"r{run:04d}-{k:05d}",
                    "role": BindingRole.LEGAL_REPRESENTATIVE.value,
                    **registry[k % len(registry)],
                },
            )
        )

    return operation


def registration_route(
    server: Server, registry: list[dict[str, str]], run: int
) -> tuple[str, Operation]:
    paths = httpx.get(f"{server.base}/openapi.json", timeout=10).json().get("paths", {})
    flow = ("/api/v1/registrations/sms-codes", "/api/v1/dev/sms-outbox", "/api/v1/registrations")
    if all(path in paths for path in flow):
        return (
            "实名注册（发码 + 读发件箱 + 注册）",
            registration_operation(registry, run),
        )
    if "post" in paths.get("/api/v1/bindings", {}):
        return "实名注册（POST /api/v1/bindings）", binding_operation(registry, run)
    raise SystemExit("后端既没有 /api/v1/registrations 也没有 /api/v1/bindings")


# ---------------------------------------------------------------------------- wrk
WRK_MISSING = (
    "未找到 wrk：闭环各项改用 Python httpx 压测端，它每次请求自身要耗约 1 ms CPU，与后端争抢同样"
    "两核，50 个客户端的延迟因此偏高。安装：apt-get install -y wrk（make bench-backend 以 root "
    "运行时会自动安装）。/ wrk not found: the closed-loop rows fall back to the Python httpx load "
    "generator, which spends about 1 ms of CPU per request on the same two cores as the server, "
    "so the 50-client latencies come out higher. Install it with: apt-get install -y wrk."
)

# wrk's Lua side: each connection sends the next request as soon as the answer arrives (wrk
# never pipelines unless told to), rotating over the requests in `requests_`; done() prints one
# line of figures, and up to three error answers, for the bench to parse.
WRK_LUA = r"""
local n = 0
local failed = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = math.random(#requests_) - 1
end

function request()
  n = n % #requests_ + 1
  local r = requests_[n]
  return wrk.format(r[1], r[2], r[3], r[4])
end

function response(status, headers, body)
  if status >= 400 and #failed < 3 then
    table.insert(failed, status .. " " .. string.sub(body or "", 1, 160))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d status_errors=%d socket_errors=%d duration_us=%d p50=%d p95=%d p99=%d\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  for _, thread in ipairs(threads) do
    local sample = thread:get("failed")
    for _, text in ipairs(sample or {}) do
      io.write("WRKERR " .. text:gsub("\n", " ") .. "\n")
    end
  end
end
"""


@dataclass(frozen=True)
class WrkRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


def _lua_string(text: str) -> str:
    """A Lua long string: no escapes to get wrong (JSON and Chinese text go in as they are)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_script(requests: list[WrkRequest], path: Path) -> Path:
    lines = ["requests_ = {"]
    for r in requests:
        headers = ", ".join(
            f"[ {_lua_string(k)} ] = {_lua_string(v)}"
            for k, v in {"Authorization": f"Bearer {TOKEN}", **r.headers}.items()
        )
        body = "nil" if r.body is None else _lua_string(r.body)
        method, target = _lua_string(r.method), _lua_string(r.path)
        lines.append(f"  {{{method}, {target}, {{{headers}}}, {body}}},")
    lines.append("}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + WRK_LUA, encoding="utf-8")
    return path


def summary_requests(pairs: list[tuple[str, int]]) -> list[WrkRequest]:
    return [
        WrkRequest(
            "GET",
            f"/api/v1/enterprises/{enterprise_id}/credit-summary",
            {"X-Chat-Channel": BENCH_CHANNEL, "X-Chat-User-Id": user},
        )
        for user, enterprise_id in pairs
    ]


def matching_requests(pairs: list[tuple[str, int]]) -> list[WrkRequest]:
    return [
        WrkRequest(
            "POST",
            f"/api/v1/enterprises/{enterprise_id}/product-matches",
            {
                "X-Chat-Channel": BENCH_CHANNEL,
                "X-Chat-User-Id": user,
                "Content-Type": "application/json",
            },
            json.dumps(NEEDS[n % len(NEEDS)], ensure_ascii=False),
        )
        for n, (user, enterprise_id) in enumerate(pairs)
    ]


HEALTH_REQUESTS = [WrkRequest("GET", "/health", {})]


def _run_wrk(
    server: Server, script: Path, clients: int, seconds: float
) -> tuple[str, float, list[int]]:
    """One wrk run; returns its output, the CPU seconds wrk itself spent (it is a child of this
    process, reaped here, so RUSAGE_CHILDREN grows by exactly its time) and how its connections
    were spread over the uvicorn processes half-way through."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(
        [
            *("wrk", "-t", "1", "-c", str(clients), "-d", f"{max(1, round(seconds))}s"),
            *("--timeout", "30s", "-s", str(script), server.base),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(max(1, round(seconds)) / 2)
    spread = connections_per_process(server)
    stdout, stderr = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0 or "WRK requests=" not in stdout:
        raise SystemExit(f"wrk 运行失败：{stderr or stdout}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return stdout, cpu, spread


def connections_per_process(server: Server) -> list[int]:
    """Established connections to the server's port per uvicorn process, largest first (`ss`;
    empty where it is missing). The workers share one listening socket and the first to wake
    takes every pending connection, so connections opened at once are often spread unevenly."""
    port = server.base.rsplit(":", 1)[1]
    try:
        listing = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", listing):
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


def wrk_closed_loop(
    server: Server,
    name: str,
    script: Path,
    clients: int,
    seconds: float,
    warmup: float,
    probe: CpuProbe,
) -> Result:
    """`clients` keep-alive connections in one wrk thread, each sending its next request as
    soon as the answer arrives: the same closed loop as `closed_loop`, from a C load generator
    that costs about 0.03 ms of CPU per request instead of httpx's 1 ms. A warm-up run first,
    then the measured run with the CPU probe around it."""
    if warmup > 0:
        _run_wrk(server, script, clients, warmup)
    before = probe.snapshot()
    output, wrk_cpu, spread = _run_wrk(server, script, clients, seconds)
    after = probe.snapshot()
    server_cpu, database_cpu, _ = CpuProbe.spent(before, after)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    figures = dict(item.split("=") for item in line.split()[1:])
    status_errors, socket_errors = int(figures["status_errors"]), int(figures["socket_errors"])
    result = Result(
        name,
        f"{clients} 个客户端（闭环）",
        errors=status_errors + socket_errors,
        elapsed=int(figures["duration_us"]) / 1e6,
        cpu=(server_cpu, database_cpu, wrk_cpu),
        generator="wrk",
        spread=spread,
        reported={
            "ok": int(figures["requests"]) - status_errors,
            **{f"p{p}": int(figures[f"p{p}"]) / 1000 for p in (50, 95, 99)},
        },
    )
    result.error_samples = [
        line.removeprefix("WRKERR ") for line in output.splitlines() if line.startswith("WRKERR ")
    ][:3]
    if socket_errors and len(result.error_samples) < 3:
        result.error_samples.append(f"{socket_errors} 次连接/读写/超时错误")
    return result


# ---------------------------------------------------------------------------- main
def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}（1 分钟）/ {five:.2f}（5 分钟）"


def wait_for_calm(threshold: float | None, patience: float = 300) -> float:
    """The 1-minute load once it is below `threshold` (each check 5 s apart, at most `patience`
    seconds, then it measures anyway and the row shows the load): on a shared machine, other
    jobs' CPU would otherwise show up as this backend's latency. The benchmark's own previous row
    raises the load too; waiting lets it decay."""
    deadline = time.monotonic() + patience
    load = os.getloadavg()[0]
    announced = False
    while threshold is not None and load >= threshold and time.monotonic() < deadline:
        if not announced:
            print(f"==> 系统负载 {load:.2f} ≥ {threshold:g}，等待…", flush=True)
            announced = True
        time.sleep(5)
        load = os.getloadavg()[0]
    return load


def print_table(results: list[Result]) -> None:
    print(
        "| 场景 | 负载 | 系统负载（1 分钟，前→后） | 压测端 | 请求数 | 错误 | 吞吐（次/秒） | "
        "p50（ms） | p95（ms） | p99（ms） | CPU/次（后端 + PG + 压测端，ms） |"
    )
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for result in results:
        print(result.row())
    for result in results:
        for sample in result.error_samples:
            print(f"- {result.name}，{result.load}，错误示例：{sample}")
    for result in results:
        if len(result.spread) > 1 or (result.spread and result.spread[0] > 1):
            print(
                f"- {result.name}，{result.load}：连接在各 uvicorn 进程间的分布 "
                f"{' / '.join(map(str, result.spread))}"
            )


def capacity_note(result: Result) -> str:
    """What the CPU cost of one request allows on this machine (Little's law for the loop)."""
    cpu = result.cpu_ms
    if cpu is None:
        return ""
    total = sum(cpu)
    ceiling = 1000 * (os.cpu_count() or 1) / total
    used = result.throughput * total / 1000
    return (
        f"每次自查共耗 CPU 约 {total:.1f} ms（后端 {cpu[0]:.1f}、PostgreSQL {cpu[1]:.1f}、"
        f"压测端 {cpu[2]:.1f}），本机 {os.cpu_count()} 核全部给它也只有约 {ceiling:.0f} 次/秒；"
        f"50 个闭环客户端的平均延迟因此至少约 {50 / ceiling * 1000:.0f} ms"
        "（利特尔定律：并发 ÷ 吞吐）。"
        f"这一项实际用到约 {used:.2f} 核（吞吐 × CPU/次）{cpu_pressure()}。"
    )


def cpu_pressure() -> str:
    """The kernel's CPU pressure (share of the last minute some runnable task waited for a CPU),
    where the kernel reports it."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return ""
    fields = dict(item.split("=") for item in line.split()[1:])
    return f"（/proc/pressure/cpu：近 60 秒有 {fields['avg60']}% 的时间有任务在等 CPU）"


def main() -> int:
    parser = argparse.ArgumentParser(description="后端性能基准（20 万家企业，PostgreSQL）")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="uvicorn worker 数")
    parser.add_argument("--seconds", type=float, default=15, help="每项测量时长（秒）")
    parser.add_argument("--warmup", type=float, default=3, help="每项预热时长（秒），不计入")
    parser.add_argument("--users", type=int, default=2000, help="绑定的样本用户数")
    parser.add_argument("--open-rate", type=float, default=100, help="开环自查的到达速率（次/秒）")
    parser.add_argument(
        "--threads", type=int, help="每个 worker 的请求线程数（默认：后端的 REQUEST_THREADS）"
    )
    parser.add_argument(
        "--pool", type=int, help="每个 worker 的 PostgreSQL 连接池大小（默认：同线程数）"
    )
    parser.add_argument(
        "--sweep",
        type=ServerConfig.parse,
        nargs="+",
        metavar="W×T[×P]",
        help=(
            "另测这些配置（worker×线程[×连接池]，如 2x4 1x6；加 s 如 2x20s 则用 uvicorn "
            "--workers 共用套接字）下 50 个客户端的自查"
        ),
    )
    parser.add_argument(
        "--sweep-workers", action="store_true", help="另测 1–4 个 worker 下 50 个客户端的自查"
    )
    parser.add_argument(
        "--calm",
        type=float,
        metavar="LOAD",
        help="每项开始前等系统 1 分钟负载降到 LOAD 以下（最多 5 分钟），如 1.5",
    )
    parser.add_argument(
        "--sweep-only", action="store_true", help="只测 --sweep/--sweep-workers 的各项"
    )
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="闭环各项的压测端：auto（装了 wrk 就用 wrk，否则 httpx）、wrk（必须有）、httpx",
    )
    args = parser.parse_args()

    engine = create_db_engine(seed_scale.scale_database_url())
    try:
        entities, records = ensure_scale_data(engine)
        pairs = bind_sample(engine, args.users)
        registry = registry_sample(engine, 5000)
        load_before = load_average()
        results = run_scenarios(args, engine, pairs, registry)
    finally:
        engine.dispose()

    print()
    print(
        f"数据：登记主体 {entities} 家、信用记录 {records} 条（PostgreSQL schema "
        f"{seed_scale.scale_schema()}）；样本用户 {len(pairs)} 个。本机 {os.cpu_count()} 核，"
        "压测端、uvicorn 与 PostgreSQL 同机；"
        f"开始时系统负载 {load_before}，结束时 {load_average()}。"
    )
    print(
        f"{ServerConfig(args.workers, args.threads, args.pool).label()}（python -m app.serve；"
        f"{WORKERS_NOTE}）；每项预热 {args.warmup:.0f} 秒、"
        f"测量 {args.seconds:.0f} 秒。"
    )
    print()
    print_table(results)
    summary_50 = next(
        (r for r in results if r.name == "信用自查概要" and r.load.startswith("50")), None
    )
    if summary_50 is None:
        return 0
    met = summary_50.percentile(95) <= 50 and summary_50.errors == 0
    print()
    print(
        f"目标（自查 50 个客户端 p95 ≤ 50 ms 且 0 错误）：{'达成' if met else '未达成'}"
        f"（p95 {summary_50.percentile(95):.1f} ms，错误 {summary_50.errors}，"
        f"吞吐 {summary_50.throughput:.0f} 次/秒）。{capacity_note(summary_50)}"
    )
    return 0


def next_run(engine: Engine) -> int:
    """The number of this run (four digits: it is part of the registering users' ids and phone
    numbers): one more than the last run's, so reruns never repeat a user, phone or
    idempotency key (a random number did, once in a few runs' time)."""
    with Session(engine) as session:
        last = session.scalar(
            select(ChatUser.external_user_id)
            .where(ChatUser.channel == REGISTER_CHANNEL)
            .order_by(ChatUser.id.desc())
            .limit(1)
        )
    match = re.fullmatch(r"r(\d{4})-\d+", last or "")
    return (int(match.group(1)) + 1) % 10**4 if match else 0


def use_wrk(choice: str) -> bool:
    """Whether the closed-loop rows run on wrk: `auto` when it is installed (else a clear note
    and the httpx fallback), `wrk` requires it, `httpx` never uses it."""
    if choice == "httpx":
        return False
    if shutil.which("wrk"):
        return True
    if choice == "wrk":
        raise SystemExit(WRK_MISSING)
    print(f"==> {WRK_MISSING}", flush=True)
    return False


def run_scenarios(
    args: argparse.Namespace,
    engine: Engine,
    pairs: list[tuple[str, int]],
    registry: list[dict[str, str]],
) -> list[Result]:
    log_path = ROOT / "var" / "bench" / "backend.log"
    run = next_run(engine)
    results: list[Result] = []
    with_wrk = use_wrk(args.load_generator)
    scripts = {
        "信用自查概要": wrk_script(summary_requests(pairs), log_path.with_name("summary.lua")),
        "产品匹配": wrk_script(matching_requests(pairs), log_path.with_name("matching.lua")),
        "基线：GET /health": wrk_script(HEALTH_REQUESTS, log_path.with_name("health.lua")),
    }

    def measure(server: Server, name: str, operation: Operation, clients: int) -> None:
        before = wait_for_calm(args.calm)
        print(
            f"==> {name}：{clients} 个客户端，{args.seconds:.0f} 秒（负载 {before:.2f}）",
            flush=True,
        )
        probe = CpuProbe(server, engine)
        script = scripts.get(name.split("（")[0])
        if with_wrk and script is not None:
            result = wrk_closed_loop(
                server, name, script, clients, args.seconds, args.warmup, probe
            )
        else:
            result = asyncio.run(
                closed_loop(server, name, operation, clients, args.seconds, args.warmup, probe)
            )
        result.machine_load = f"{before:.2f} → {os.getloadavg()[0]:.2f}"
        results.append(result)
        spread = " / ".join(map(str, result.spread))
        print(f"    {result.row()}{f' 连接分布 {spread}' if spread else ''}", flush=True)

    config = ServerConfig(args.workers, args.threads, args.pool)
    sweep = list(args.sweep or [])
    if args.sweep_workers:
        sweep += [ServerConfig(workers, args.threads, args.pool) for workers in (1, 2, 3, 4)]
    for other in sweep:
        with backend(other, log_path) as server:
            measure(server, f"信用自查概要（{other.label()}）", summary_operation(pairs), 50)
    if args.sweep_only:
        return results
    with backend(config, log_path) as server:
        registration_name, registration = registration_route(server, registry, run)
        scenarios = [
            ("信用自查概要", summary_operation(pairs)),
            ("产品匹配", matching_operation(pairs)),
            (registration_name, registration),
        ]
        for name, operation in scenarios:
            for clients in (1, 50):
                measure(server, name, operation, clients)
        # The floor: the framework and one SELECT 1, what any endpoint costs at least.
        measure(server, "基线：GET /health", health_operation, 50)
        print(f"==> 信用自查概要：开环 {args.open_rate:.0f} 次/秒", flush=True)
        results.append(
            asyncio.run(
                open_loop(
                    server,
                    "信用自查概要",
                    summary_operation(pairs),
                    args.open_rate,
                    args.seconds,
                    args.warmup,
                    CpuProbe(server, engine),
                )
            )
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
