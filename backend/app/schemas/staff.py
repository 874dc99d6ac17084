"""Staff sign-in and accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.enums import StaffRole


class StaffLoginCreate(BaseModel):
    username: str = Field(
        min_length=1, max_length=50, description="坐席登录名", examples=["demo-agent"]
    )
    password: str = Field(min_length=1, max_length=128, description="登录口令")


class StaffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="坐席账号编号")
    username: str = Field(description="登录名")
    display_name: str = Field(description="显示名称")
    role: StaffRole = Field(description="角色：坐席 或 管理员")


class StaffSessionPublic(BaseModel):
    token: str = Field(
        description="坐席令牌：之后的坐席接口放在 Authorization: Bearer <令牌> 中；只返回这一次"
    )
    token_type: Literal["bearer"] = Field(default="bearer", description="令牌类型，固定为 bearer")
    expires_at: datetime = Field(description="令牌过期时间（UTC）")
    staff: StaffPublic = Field(description="登录的坐席账号")
