"""Data at scale: 200,000 registry entities with their credit records and evaluations, in a
PostgreSQL schema of their own (`make seed-scale`).

    SCALE_DATABASE_URL  PostgreSQL database (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
    SCALE_SCHEMA        schema inside it (default xinyidai_scale), created if missing

The schema is migrated with Alembic, then loaded with `python -m app.seed --enterprises N`, which
uses PostgreSQL COPY, shows a progress bar and prints the elapsed time. A loaded schema is left as
it is: the second run says so and changes nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND_DIR = ROOT / "backend"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_SCHEMA = "xinyidai_scale"
DEFAULT_ENTERPRISES = 200_000

sys.path.insert(0, str(BACKEND_DIR))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from app.core.db import create_db_engine  # noqa: E402


def scale_schema() -> str:
    schema = os.environ.get("SCALE_SCHEMA") or DEFAULT_SCHEMA
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise SystemExit(f"SCALE_SCHEMA 只能由小写字母、数字和下划线组成：{schema!r}")
    return schema


def scale_database_url() -> str:
    """SCALE_DATABASE_URL with the scale schema as the connections' search_path, so the app,
    Alembic and the seed all work inside it with nothing but DATABASE_URL."""
    url = make_url(os.environ.get("SCALE_DATABASE_URL") or DEFAULT_URL)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"SCALE_DATABASE_URL 必须是 PostgreSQL：{url.render_as_string()}")
    url = url.update_query_dict({"options": f"-csearch_path={scale_schema()}"})
    return url.render_as_string(hide_password=False)


def ensure_schema() -> None:
    base = make_url(os.environ.get("SCALE_DATABASE_URL") or DEFAULT_URL)
    engine = create_db_engine(base.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{scale_schema()}"'))
    except OperationalError as exc:
        raise SystemExit(f"无法连接 PostgreSQL（SCALE_DATABASE_URL）：{exc.orig}") from None
    finally:
        engine.dispose()


def run_backend(*args: str) -> None:
    env = {**os.environ, "DATABASE_URL": scale_database_url()}
    result = subprocess.run([sys.executable, *args], cwd=BACKEND_DIR, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def seed_scale(enterprises: int = DEFAULT_ENTERPRISES) -> None:
    shown = make_url(scale_database_url()).render_as_string(hide_password=True)
    print(f"==> 规模数据：{shown}（schema {scale_schema()}）", flush=True)
    ensure_schema()
    started = time.monotonic()
    run_backend("-m", "alembic", "upgrade", "head")
    print(
        f"==> 迁移完成（{time.monotonic() - started:.1f} 秒），载入 {enterprises} 家登记主体",
        flush=True,
    )
    run_backend("-m", "app.seed", "--enterprises", str(enterprises), "--batch-size", "5000")
    print(f"==> 规模数据就绪，总用时 {time.monotonic() - started:.1f} 秒", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="在 PostgreSQL 独立 schema 中载入规模数据")
    parser.add_argument("--enterprises", type=int, default=DEFAULT_ENTERPRISES)
    seed_scale(parser.parse_args().enterprises)


if __name__ == "__main__":
    main()
