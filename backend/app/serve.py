"""Serve the backend with several uvicorn worker processes, each listening on a socket of its
own (`python -m app.serve --workers 2 …`, from backend/).

`uvicorn --workers N` binds one socket in the supervisor and every worker accepts from it: the
first worker to wake takes all connections that are pending, so a burst of connections (a proxy
or load generator opening its keep-alive pool) often lands on one worker (50 / 0, 46 / 4, 40 / 10
on a 2-core machine) while the other idles, and those connections queue behind each other. Here
every worker binds the same address with SO_REUSEPORT (Linux ≥ 3.9), so the kernel hashes each
new connection to one of the workers' sockets: the connections spread about evenly whatever the
timing. The supervisor restarts a worker that dies and stops them all on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

APP = "app.main:app"


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port) that other processes may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def run_worker(host: str, port: int, options: dict[str, Any]) -> None:
    """One worker: its own socket, then uvicorn's server (which handles SIGINT/SIGTERM with a
    graceful shutdown)."""
    sock = listen(host, port)
    uvicorn.Server(uvicorn.Config(APP, **options)).run(sockets=[sock])


def supervise(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=run_worker, args=(host, port, options), daemon=False)
        process.start()
        return process

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = [start() for _ in range(workers)]
    while not stopping:
        time.sleep(0.5)
        for index, process in enumerate(processes):
            if not stopping and not process.is_alive():
                print(
                    f"app.serve: worker {process.pid} exited ({process.exitcode}), restarting",
                    file=sys.stderr,
                    flush=True,
                )
                processes[index] = start()
    for process in processes:
        if process.is_alive() and process.pid is not None:
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    deadline = time.monotonic() + float(options["timeout_graceful_shutdown"]) + 5
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.serve",
        description="uvicorn workers, one SO_REUSEPORT socket each (see the module docstring)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--proxy-headers", action="store_true")
    parser.add_argument("--forwarded-allow-ips", default=None)
    parser.add_argument("--no-server-header", action="store_true")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--log-level", default="info")
    # uvicorn's own default waits for every open keep-alive connection to close (a proxy's pool
    # may never close): the supervisor and so the container would not stop on SIGTERM.
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=10)
    args = parser.parse_args(argv)
    if args.workers < 1 or args.port < 1:
        parser.error("--workers and --port must be at least 1")
    options: dict[str, Any] = {
        "proxy_headers": args.proxy_headers,
        "forwarded_allow_ips": args.forwarded_allow_ips,
        "server_header": not args.no_server_header,
        "access_log": not args.no_access_log,
        "log_level": args.log_level,
        "timeout_graceful_shutdown": args.timeout_graceful_shutdown,
    }
    if args.workers == 1:
        run_worker(args.host, args.port, options)
        return 0
    return supervise(args.host, args.port, args.workers, options)


if __name__ == "__main__":
    sys.exit(main())
