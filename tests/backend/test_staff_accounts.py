"""Staff accounts: scrypt password hashes with a salt per user, the create-staff command, and the
two demo accounts of the seed.

Demo accounts (development passwords, printed by `python -m app.seed`):
    demo-agent / demo-agent-2026   坐席
    demo-admin / demo-admin-2026   管理员
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from conftest import BACKEND_DIR, alembic_config, sqlite_engine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import StaffRole
from app.errors import AppError
from app.models import StaffUser
from app.seed.staff import DEMO_STAFF, seed_demo_staff
from app.services.staff import create_staff_user, hash_password, verify_password


def test_password_hash_is_salted_scrypt() -> None:
    first, second = hash_password("same-password"), hash_password("same-password")
    assert first.startswith("scrypt$16384$8$1$")
    assert first != second  # a fresh salt every time
    assert "same-password" not in first
    assert verify_password("same-password", first)
    assert verify_password("same-password", second)
    assert not verify_password("Same-password", first)
    assert not verify_password("same-password", "garbage")
    assert not verify_password("same-password", "bcrypt$1$2$3$4$5")


def test_create_staff_user_checks_its_input(session: Session) -> None:
    create_staff_user(
        session, username="Li.Admin", display_name="李管理", role=StaffRole.ADMIN, password="x" * 8
    )
    stored = session.scalars(select(StaffUser)).one()
    assert (stored.username, stored.role, stored.active) == ("li.admin", "管理员", True)

    cases = [
        ({"username": "li.admin"}, "staff_username_taken"),
        ({"username": "张三"}, "staff_username_invalid"),
        ({"username": "-x"}, "staff_username_invalid"),
        ({"password": "short"}, "staff_password_too_short"),
        ({"display_name": "  "}, "staff_display_name_invalid"),
    ]
    for change, code in cases:
        args = {
            "username": "other",
            "display_name": "某人",
            "role": StaffRole.AGENT,
            "password": "long-enough",
            **change,
        }
        with pytest.raises(AppError) as refused:
            create_staff_user(session, **args)
        assert refused.value.code == code
        assert refused.value.status_code in (409, 422)


def test_demo_staff_can_sign_in(client: TestClient, session: Session) -> None:
    created = seed_demo_staff(session)
    session.commit()
    assert [(demo.username, made) for demo, made in created] == [
        ("demo-agent", True),
        ("demo-admin", True),
    ]
    assert [made for _, made in seed_demo_staff(session)] == [False, False]
    assert {(d.username, d.password, d.role) for d in DEMO_STAFF} == {
        ("demo-agent", "demo-agent-2026", StaffRole.AGENT),
        ("demo-admin", "demo-admin-2026", StaffRole.ADMIN),
    }
    for demo in DEMO_STAFF:
        response = client.post(
            "/api/v1/staff/sessions", json={"username": demo.username, "password": demo.password}
        )
        assert response.status_code == 201
        assert response.json()["staff"]["role"] == demo.role.value


def _cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=BACKEND_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_staff_command(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    url = engine.url.render_as_string()
    args = ["create-staff", "--username", "zhao", "--display-name", "赵坐席", "--role", "坐席"]

    made = _cli(url, *args, "--password-stdin", stdin="a-long-password\n")
    assert made.returncode == 0, made.stderr
    assert "已创建坐席账号" in made.stdout
    assert "a-long-password" not in made.stdout + made.stderr

    again = _cli(url, *args, "--password-stdin", stdin="another-password\n")
    assert again.returncode == 1
    assert "已被使用" in again.stderr

    short = _cli(
        url, "create-staff", "--username", "qian", "--display-name", "钱", "--role", "admin",
        "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert short.returncode == 1
    assert "至少需要 8 个字符" in short.stderr

    bad_role = _cli(
        url, "create-staff", "--username", "sun", "--display-name", "孙", "--role", "老板"
    )
    assert bad_role.returncode == 2
    assert "角色只能是" in bad_role.stderr

    with Session(engine) as session:
        user = session.scalars(select(StaffUser)).one()
        assert (user.username, user.display_name, user.role) == ("zhao", "赵坐席", "坐席")
        assert verify_password("a-long-password", user.password_hash)
    engine.dispose()
