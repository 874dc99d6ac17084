"""The three fixed demo enterprises (kept in demo_enterprises.yml, which both environments read)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class DemoEnterprise:
    name: str
    uscc: str
    legal_representative: str

    @property
    def is_individual_business(self) -> bool:
        return self.uscc.startswith("92")


DEMO_ENTERPRISES_FILE = Path(__file__).with_name("demo_enterprises.yml")

DEMO_ENTERPRISES: tuple[DemoEnterprise, ...] = tuple(
    DemoEnterprise(**entry)
    for entry in yaml.safe_load(DEMO_ENTERPRISES_FILE.read_text(encoding="utf-8"))
)
