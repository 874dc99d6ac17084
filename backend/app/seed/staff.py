"""Demo staff accounts, so the console and the staff API can be tried at once. Their passwords are
development passwords, printed by the seed and documented here and in the tests: a production
deployment does not run the demo seed, or disables these accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.enums import StaffRole
from app.services.staff import create_staff_user, find_staff_user


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    role: StaffRole
    password: str


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("demo-agent", "示范坐席", StaffRole.AGENT, "demo-agent-2026"),
    DemoStaff("demo-admin", "示范管理员", StaffRole.ADMIN, "demo-admin-2026"),
)


def seed_demo_staff(session: Session) -> list[tuple[DemoStaff, bool]]:
    """Creates the demo accounts that are missing (the caller commits); an existing account is
    left as it is, password included. Returns each account with whether it was created now."""
    result = []
    for demo in DEMO_STAFF:
        exists = find_staff_user(session, demo.username) is not None
        if not exists:
            create_staff_user(
                session,
                username=demo.username,
                display_name=demo.display_name,
                role=demo.role,
                password=demo.password,
            )
        result.append((demo, not exists))
    return result


def describe_demo_staff(seeded: list[tuple[DemoStaff, bool]]) -> list[str]:
    lines = ["示范坐席账号（开发用口令，仅供演示；生产环境不要载入示范数据）："]
    for demo, created in seeded:
        state = "本次新建" if created else "已存在，未更改"
        lines.append(
            f"  {demo.role.value}  登录名 {demo.username}  口令 {demo.password}（{state}）"
        )
    return lines
