"""Demo tokens for the institutions of the demo city (python -m app.seed prints them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.services.institution_view import ensure_development_credentials


@dataclass(frozen=True)
class DemoToken:
    code: str
    name: str
    token: str


def seed_institution_tokens(session: Session) -> list[DemoToken]:
    """Every institution gets its development token once (only the hash is stored); running the
    seed again adds nothing. Not committed: the caller commits with the rest of the seed."""
    return [
        DemoToken(institution.code, institution.name, token)
        for institution, token in ensure_development_credentials(session)
    ]


def describe_institution_tokens(tokens: list[DemoToken]) -> list[str]:
    if not tokens:
        return []
    lines = [
        "接入机构演示令牌（仅限开发环境；用于 /api/v1/institution/…，"
        "请求头 Authorization: Bearer <令牌>）："
    ]
    lines += [f"  {t.name}（{t.code}）：{t.token}" for t in tokens]
    return lines
