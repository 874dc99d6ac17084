"""Engine and session factory. The app targets SQLite (embedded default) and PostgreSQL alike."""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement

# Connections kept by an engine whose caller names no pool size (CLI, seeding, tests); the app
# passes Settings.pool_size, one connection per request thread of a worker.
DEFAULT_POOL_SIZE = 20


def _json_dumps(value: Any) -> str:
    # Chinese text stays readable in the database (and in psql/sqlite3 sessions).
    return json.dumps(value, ensure_ascii=False)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", _json_dumps)
    if parsed.get_backend_name() != "sqlite":
        # Sync endpoints run on at most Settings.request_threads threads per worker (app.main), each
        # holding a connection for its request. The pool keeps that many open (opened lazily): a
        # connection beyond what the pool keeps is closed when the pool has that many idle, so
        # with SQLAlchemy's default pool (5 + 10 overflow), and again with anyio's 40 threads
        # against 20 kept, requests under load kept paying for new PostgreSQL backends (fork,
        # authentication: 10–15 a second at 50 clients).
        kwargs.setdefault("pool_size", DEFAULT_POOL_SIZE)
        kwargs.setdefault("max_overflow", 10)
        engine = create_engine(url, **kwargs)
        _ping_idle_connections(engine)
        return engine

    # SQLite's pools (one writer at a time anyway) keep their own sizes.
    kwargs.pop("pool_size", None)
    database = parsed.database
    is_file = bool(database) and database != ":memory:" and not database.startswith("file:")
    connect_args = kwargs.pop("connect_args", {})
    # FastAPI runs sync endpoints in a thread pool, so a pooled connection may serve another thread.
    connect_args.setdefault("check_same_thread", False)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "do_connect")
    def _ensure_directory(*_args: Any) -> None:
        # A fresh checkout has no var/ yet and SQLite would fail with "unable to open database";
        # done at first connect rather than here so that importing the app touches no files.
        if is_file:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's legacy transaction control skips BEGIN for SELECT/DDL/SAVEPOINT, which breaks
        # savepoints (idempotent get-or-create) and transactional migrations; SQLAlchemy emits
        # BEGIN itself instead (see the "begin" hook below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if is_file:
            # Readers keep working while a writer commits (busy event registrations).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that read first and then
        # writes fails at once with "database is locked" when another writer committed meanwhile
        # (SQLite cannot upgrade a stale snapshot); IMMEDIATE waits busy_timeout for its turn
        # instead, so concurrent deliveries of one request queue up rather than fail.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# A connection used this recently is taken as alive without a ping (HikariCP's
# aliveBypassWindowMs has the same default).
PING_AFTER_IDLE_SECONDS = 0.5


def _ping_idle_connections(engine: Engine) -> None:
    """pool_pre_ping, but only for a connection idle longer than PING_AFTER_IDLE_SECONDS.

    A ping is a round trip; under load every request checks out a connection that was in use a
    moment ago, so pinging each time cost a round trip per request (a tenth of the self-check's
    CPU) to learn nothing. A connection that sat idle (after a quiet spell, a database restart,
    a network cut) is still pinged, and a dead one is replaced before the request uses it. A
    restart in the last half second is noticed by the first statement instead: SQLAlchemy then
    drops every older connection of the pool, as it would for a connection lost mid-request."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _last_known_alive(_dbapi_connection: Any, record: Any) -> None:
        record.info["alive_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("alive_at", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # As pool_pre_ping does: the pool drops this connection and every older one, and
            # checks out a new one.
            raise exc.InvalidatePoolError(str(error)) from error


# session.info key: the session flushed writes in its current transaction.
_WROTE = "xinyidai.wrote"


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _flush_context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def release_connection(session: Session, *, failed: bool = False) -> None:
    """End the session's transaction now, so its pooled connection goes back to the pool.

    A request hops between threads (a dependency, the endpoint, FastAPI's validation of the
    reply) and waits on the event loop for a free request thread before each hop. A session still
    in a transaction keeps its connection through that wait; with as many connections as request
    threads, the threads can all be waiting for a connection that only a waiting request would
    give back, and the worker stops (docs/backend.md, "Cost per request"). A transaction that only
    read is committed, which keeps the loaded objects usable (expire_on_commit=False); one that
    wrote without committing, or failed, is rolled back, as get_session would have done."""
    if not session.in_transaction():
        return
    if failed or session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        session.rollback()
    else:
        session.commit()


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit so a service can commit and then build its response.
    return sessionmaker(bind=engine, expire_on_commit=False)


# ---------------------------------------------------------------- the event loop's connections

# A request waits at most this long for one of the pool's connections before it fails (503).
ASYNC_POOL_TIMEOUT_SECONDS = 10.0


def create_async_pool(url: str, size: int) -> AsyncConnectionPool | None:
    """psycopg's own async pool for the reads served on the event loop (the self-check), or None
    on SQLite, where everything goes through the engine.

    A sync endpoint costs a thread hop and SQLAlchemy's execution machinery: at 2 workers on 2
    cores that was most of the self-check's CPU (docs/backend.md, "Cost per request"). These
    connections run in autocommit (each statement commits on its own: no BEGIN/COMMIT round
    trips) and give rows as named tuples, like SQLAlchemy's. The pool is opened and closed by the
    app's lifespan; it opens connections on demand and keeps up to `size`."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    last_used: weakref.WeakKeyDictionary[AsyncConnection[Any], float] = weakref.WeakKeyDictionary()

    async def stamp(connection: AsyncConnection[Any]) -> None:
        last_used[connection] = time.monotonic()

    async def check_if_idle(connection: AsyncConnection[Any]) -> None:
        # As _ping_idle_connections does for the engine: a connection used a moment ago is taken
        # as alive; one idle longer is pinged, and the pool replaces it if the ping fails.
        if time.monotonic() - last_used.get(connection, 0.0) >= PING_AFTER_IDLE_SECONDS:
            await AsyncConnectionPool.check_connection(connection)

    return AsyncConnectionPool(
        conninfo,
        min_size=0,
        max_size=size,
        kwargs={"autocommit": True, "row_factory": namedtuple_row},
        configure=stamp,
        reset=stamp,
        check=check_if_idle,
        timeout=ASYNC_POOL_TIMEOUT_SECONDS,
        open=False,
    )


_PSYCOPG = PGDialect_psycopg()


class PsycopgStatement:
    """A SQLAlchemy Core statement compiled once to psycopg's SQL, to run on a psycopg connection
    without SQLAlchemy: the statement stays written (and reviewed) in Core next to its sync use.

    Only plain values are bound: no type processing is applied (a JSON value is passed already
    serialised, see `json_value`), and rows come back as psycopg converts them."""

    def __init__(self, statement: ClauseElement, **compile_kwargs: Any) -> None:
        compiled = statement.compile(dialect=_PSYCOPG, **compile_kwargs)
        self.sql: str = compiled.string
        # Constants in the statement (a LIMIT, a literal compared with) become bind parameters
        # of their own; the caller names only the bindparam()s.
        self._constants = {
            compiled.bind_names[bind]: bind.value
            for bind in compiled.binds.values()
            if not bind.required
        }

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {**self._constants, **values}


def json_value(value: Any) -> str:
    """A value for a JSON column of a PsycopgStatement, serialised as the engine would."""
    return _json_dumps(value)
