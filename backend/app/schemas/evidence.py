"""Shapes of evidence files (证明材料): what an upload answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EvidenceFilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(
        description='证明材料编号；提交异议或修复时以 {"type": "upload", "id": 编号} 引用',
        examples=["ev_3f2a9c0d4b5e46f7a8b9c0d1e2f3a4b5"],
    )
    sha256: str = Field(description="文件内容的 SHA-256（十六进制）")
    size: int = Field(description="文件字节数")
    content_type: str = Field(
        description="按文件头识别的类型：image/jpeg、image/png、image/gif、image/webp 或 "
        "application/pdf"
    )
