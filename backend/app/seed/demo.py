"""The three fixed demo enterprises. They are the first three registry entries of every seeded
database; the README, the bot's stories and the end-to-end tests register with them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoEnterprise:
    name: str
    uscc: str
    legal_representative: str

    @property
    def is_individual_business(self) -> bool:
        return self.uscc.startswith("92")


DEMO_ENTERPRISES: tuple[DemoEnterprise, ...] = (
    # 专精特新 and green manufacturer with one 行政处罚 past its minimum publicity period
    # (so credit repair can be demonstrated) and a clean record otherwise.
    DemoEnterprise("示范市绿源科技有限公司", "91329901MA1GY0017X", "张明华"),
    # Individual business (92…) with a recent 行政处罚 still inside its minimum publicity period
    # and a utility arrear: the objection / "罚款早就交了" story.
    DemoEnterprise("示范市城西区李记餐饮店", "92329902MA1LJ0028T", "李秀兰"),
    # White-listed medium manufacturer that won government procurement: the product-matching story.
    DemoEnterprise("示范市恒通精密机械有限公司", "91329903MA1HT0037G", "陈志强"),
)
