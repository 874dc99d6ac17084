"""A TCP proxy in front of one of our services, for putting faults between two of them.

The live stack's action server reaches the backend through it, so a test can make the backend
slow (``delay``: every chunk the client sends waits that long before it is passed on, which
delays each request, also on a kept-alive connection) or unreachable (``down``: connections are
dropped) and then heal it, without touching the backend itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from tests.support import free_port


class FaultProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.delay = 0.0
        self.down = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    @contextlib.contextmanager
    def slow(self, seconds: float) -> Iterator[None]:
        self.delay = seconds
        try:
            yield
        finally:
            self.delay = 0.0

    @contextlib.contextmanager
    def broken(self) -> Iterator[None]:
        self.down = True
        self._loop.call_soon_threadsafe(self._drop_all)
        try:
            yield
        finally:
            self.down = False

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, *self.upstream[:1], self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._drop_all()

    def _drop_all(self) -> None:
        for writer in list(self._connections):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._connections.update((writer, up_writer))
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, delayed=True), self._pipe(up_reader, writer)
            )
        finally:
            self._connections.difference_update((writer, up_writer))
            for end in (writer, up_writer):
                end.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delayed: bool = False
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if delayed and self.delay:
                    await asyncio.sleep(self.delay)
                if self.down:
                    break
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # Half-close would keep the other direction waiting; a proxy that died closes both.
            writer.close()
