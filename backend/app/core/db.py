"""Engine and session factory. The app targets SQLite (embedded default) and PostgreSQL alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _json_dumps(value: Any) -> str:
    # Chinese text stays readable in the database (and in psql/sqlite3 sessions).
    return json.dumps(value, ensure_ascii=False)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", _json_dumps)
    if parsed.get_backend_name() != "sqlite":
        # Sync endpoints run on up to 40 threads per worker, each holding a connection for its
        # request. SQLAlchemy's default pool (5 kept + 10 overflow) closes every overflow
        # connection after use, so under load about one request in four paid for a new PostgreSQL
        # backend (fork, authentication); keep enough connections open (opened lazily).
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 10)
        return create_engine(url, pool_pre_ping=True, **kwargs)

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


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit so a service can commit and then build its response.
    return sessionmaker(bind=engine, expire_on_commit=False)
