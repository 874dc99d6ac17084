"""Administration commands, run from backend/ against DATABASE_URL:

    python -m app.cli create-staff --username NAME --display-name 显示名称 --role 坐席|管理员
        [--password-stdin]

The password is asked for twice at a prompt (not echoed), or read from the first line of standard
input with --password-stdin (for scripts); it is never a command-line argument, which would leave
it in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import create_db_engine
from app.enums import StaffRole
from app.errors import AppError
from app.seed.loader import migration_problem
from app.services.staff import create_staff_user

ROLE_ALIASES = {"agent": StaffRole.AGENT, "admin": StaffRole.ADMIN}


def _role(text: str) -> StaffRole:
    text = text.strip()
    if text in ROLE_ALIASES:
        return ROLE_ALIASES[text]
    try:
        return StaffRole(text)
    except ValueError:
        raise argparse.ArgumentTypeError("角色只能是：坐席（agent）或 管理员（admin）") from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="信易贷助手后端管理命令")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")
    create = commands.add_parser("create-staff", help="新建坐席账号", description="新建坐席账号")
    create.add_argument("--username", required=True, help="登录名（小写字母、数字、. _ -）")
    create.add_argument("--display-name", required=True, help="显示名称")
    create.add_argument("--role", required=True, type=_role, help="坐席 或 管理员（agent/admin）")
    create.add_argument(
        "--password-stdin", action="store_true", help="从标准输入的第一行读取口令，而非提示输入"
    )
    return parser.parse_args(argv)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("口令：")
    if getpass.getpass("再次输入口令：") != first:
        print("两次输入的口令不一致，未创建账号。", file=sys.stderr)
        return None
    return first


def create_staff(args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    if password is None:
        return 1
    engine = create_db_engine(get_settings().database_url)
    try:
        problem = migration_problem(engine)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        with Session(engine) as session:
            user = create_staff_user(
                session,
                username=args.username,
                display_name=args.display_name,
                role=args.role,
                password=password,
            )
            session.commit()
            print(f"已创建坐席账号：{user.username}（{user.display_name}，{user.role}）")
    except AppError as error:
        print(error.message, file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"数据库操作失败，未创建账号：{error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "create-staff":
        return create_staff(args)
    return 2  # argparse already refused anything else


if __name__ == "__main__":
    sys.exit(main())
