"""PostgreSQL restarted under a running backend (uvicorn, as `make run` and production start it,
on a database of its own): the connections both pools hold die with the server, and the next
requests — the self-check on the event loop's pool, a registration and an objection through
SQLAlchemy's — must work at the first try, not after an error the user would have seen.

Restarting the machine's PostgreSQL needs root (pg_ctlcluster); under CI=true that is a must.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from stack import prepare_database
from tests.support import ARTIFACTS, bind_demo_user, running_backend

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "xinyidai_e2e_pg_restart"


def restart_postgres() -> None:
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    version, name = clusters.stdout.split()[:2]
    subprocess.run(["pg_ctlcluster", version, name, "restart"], check=True, timeout=120)


@pytest.fixture(scope="module")
def backend_on_postgres() -> Iterator[str]:
    allowed = os.geteuid() == 0 and shutil.which("pg_ctlcluster")
    if not allowed:
        message = "restarting PostgreSQL needs root and pg_ctlcluster"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
    prepare_database(url)
    with running_backend(url, ARTIFACTS / "e2e-logs" / "pg-restart") as base_url:
        yield base_url


def acting(user: str) -> dict[str, str]:
    return {
        "Authorization": "Bearer dev-service-token",
        "X-Chat-Channel": "rest",
        "X-Chat-User-Id": user,
    }


def test_the_next_requests_after_a_postgres_restart_work(backend_on_postgres: str) -> None:
    base = backend_on_postgres
    user = f"e2e-pg-{uuid.uuid4().hex[:10]}"
    enterprise = bind_demo_user(base, "rest", user, index=1)
    summary_url = f"{base}/api/v1/enterprises/{enterprise['id']}/credit-summary"
    with httpx.Client(headers=acting(user), timeout=10) as client:
        # Warm both pools: connections are open and recently used when the server goes away.
        for _ in range(5):
            assert client.get(summary_url).status_code == 200

        restart_postgres()
        # The server accepts connections again (pg_ctlcluster waits for that).
        time.sleep(0.5)

        first = client.get(summary_url)
        assert first.status_code == 200, first.text
        second_user = f"e2e-pg-{uuid.uuid4().hex[:10]}"
        bound = bind_demo_user(base, "rest", second_user, index=0)
        assert bound["id"]
        records = client.get(
            f"{base}/api/v1/enterprises/{enterprise['id']}/records",
            params={"category": "行政处罚"},
        )
        assert records.status_code == 200, records.text
        filed = client.post(
            f"{base}/api/v1/enterprises/{enterprise['id']}/objections",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "record_id": records.json()["items"][0]["id"],
                "reason": "已履行或已整改",
                "description": "罚款已经缴清",
                "evidence": [],
                "contact_phone": "13812345678",
            },
        )
        assert filed.status_code == 201, filed.text
