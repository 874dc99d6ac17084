"""Deterministic generation of demo registry entities and their credit records.

Everything is drawn from one `random.Random(seed)` in a fixed order and dated relative to `as_of`,
so the same seed and date always give the same database. Rows are plain dicts shaped for bulk
`INSERT … VALUES` in batches (the same code has to scale to 200,000 entities on PostgreSQL).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.enums import (
    CreditCategory,
    EnterpriseScale,
    EnterpriseTag,
    RecordStatus,
    TaxCreditGrade,
)
from app.seed.demo import DEMO_ENTERPRISES
from app.services.evaluation import RecordFact
from app.uscc import USCC_CHARSET, compute_check_char, compute_org_code_check_char

# The demo city's districts with made-up six-digit division codes (3299xx is not a real prefecture).
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("329901", "城东区"),
    ("329902", "城西区"),
    ("329903", "湖滨区"),
    ("329904", "北山区"),
    ("329905", "南江区"),
)

MANUFACTURING = "制造业"
IT = "信息传输、软件和信息技术服务业"
RESEARCH = "科学研究和技术服务业"
CATERING = "住宿和餐饮业"
RETAIL = "批发和零售业"
SERVICES = "居民服务、修理和其他服务业"

# Industry → name keywords for companies.
COMPANY_TRADES: dict[str, tuple[str, ...]] = {
    MANUFACTURING: (
        "精密机械",
        "电子科技",
        "新材料",
        "纺织",
        "食品",
        "包装材料",
        "汽车零部件",
        "环保设备",
        "塑胶制品",
        "光电科技",
    ),
    RETAIL: ("商贸", "贸易", "医药连锁", "建材"),
    IT: ("信息技术", "软件", "网络科技", "数据科技"),
    RESEARCH: ("检测技术", "工程技术", "生物技术"),
    "建筑业": ("建设工程", "装饰工程", "市政工程"),
    "交通运输、仓储和邮政业": ("物流", "运输", "仓储"),
    CATERING: ("餐饮管理", "酒店管理"),
    "农、林、牧、渔业": ("农业科技", "生态农业", "水产养殖"),
    "租赁和商务服务业": ("企业管理咨询", "广告传媒", "人力资源"),
}
COMPANY_INDUSTRY_WEIGHTS: dict[str, int] = {
    MANUFACTURING: 30,
    RETAIL: 18,
    IT: 10,
    RESEARCH: 6,
    "建筑业": 9,
    "交通运输、仓储和邮政业": 7,
    CATERING: 5,
    "农、林、牧、渔业": 5,
    "租赁和商务服务业": 10,
}
# Individual businesses: (shop suffix, industry).
SHOPS: tuple[tuple[str, str], ...] = (
    ("小吃店", CATERING),
    ("面馆", CATERING),
    ("餐饮店", CATERING),
    ("五金店", RETAIL),
    ("便利店", RETAIL),
    ("水果店", RETAIL),
    ("服装店", RETAIL),
    ("百货商行", RETAIL),
    ("农资经营部", RETAIL),
    ("理发店", SERVICES),
    ("汽车维修部", SERVICES),
    ("家电维修部", SERVICES),
)
TRADE_NAME_CHARS = (
    "华宏鑫瑞盛达恒泰丰源信诚和嘉金佳博卓润远新天隆安永正锦益德启明通力创优合凯晟昊骏"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力兰春林国红梅志宇鹏"
    "飞斌浩凯婷雪琳晨欣怡佳俊峰海波宁亮燕云龙颖倩"
)
ROADS = (
    "人民路",
    "建设路",
    "解放路",
    "长江路",
    "黄河路",
    "创新大道",
    "科技路",
    "工业园路",
    "湖滨路",
    "文化路",
)

COMPANY_TYPES = (
    ("有限责任公司（自然人投资或控股）", 60),
    ("有限责任公司（自然人独资）", 30),
    ("股份有限公司（非上市、自然人投资或控股）", 10),
)
INDIVIDUAL_TYPE = "个体工商户"

# Per-category chance that an entity has at least one record: (company, individual business).
CATEGORY_ODDS: dict[CreditCategory, tuple[float, float]] = {
    CreditCategory.ADMINISTRATIVE_LICENSE: (0.6, 0.7),
    CreditCategory.ADMINISTRATIVE_PENALTY: (0.15, 0.12),
    CreditCategory.SERIOUS_DISHONESTY: (0.02, 0.01),
    CreditCategory.JUDICIAL: (0.08, 0.03),
    CreditCategory.HONOR: (0.12, 0.03),
    CreditCategory.TAX_CREDIT_GRADE: (0.85, 0.5),
    CreditCategory.SOCIAL_INSURANCE_ARREARS: (0.06, 0.02),
    CreditCategory.HOUSING_FUND_ARREARS: (0.05, 0.0),
    CreditCategory.UTILITY_ARREARS: (0.06, 0.08),
    CreditCategory.REAL_ESTATE: (0.2, 0.03),
    CreditCategory.IMPORT_EXPORT: (0.1, 0.0),
    CreditCategory.INTELLECTUAL_PROPERTY: (0.2, 0.01),
    CreditCategory.RESEARCH: (0.15, 0.0),
}
TAX_GRADE_WEIGHTS = {
    TaxCreditGrade.A: 30,
    TaxCreditGrade.B: 45,
    TaxCreditGrade.M: 15,
    TaxCreditGrade.C: 7,
    TaxCreditGrade.D: 3,
}


@dataclass
class GeneratedEntity:
    """One registry row and the credit records that belong to it."""

    registry: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)

    def facts(self) -> list[RecordFact]:
        return [
            RecordFact(
                category=CreditCategory(r["category"]),
                decided_on=r["decided_on"],
                publicity_end_on=r["publicity_end_on"],
                value=r["value"],
            )
            for r in self.records
        ]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, 28))


def record(
    category: CreditCategory,
    title: str,
    content: str,
    authority: str,
    decided_on: date,
    *,
    document_no: str | None = None,
    amount: Decimal | None = None,
    value: str | None = None,
    publicity_end_on: date | None = None,
    repairable_after: date | None = None,
) -> dict[str, Any]:
    return {
        "category": category.value,
        "data_class": category.data_class.value,
        "title": title,
        "content": content,
        "authority": authority,
        "decided_on": decided_on,
        "document_no": document_no,
        "amount": amount,
        "value": value,
        "publicity_end_on": publicity_end_on,
        "repairable_after": repairable_after,
        "status": RecordStatus.NORMAL.value,
    }


def tax_publication_day(as_of: date) -> date:
    """The latest 30 April on or before `as_of`: when the previous year's tax grades are out."""
    this_year = date(as_of.year, 4, 30)
    return this_year if as_of >= this_year else date(as_of.year - 1, 4, 30)


def penalty_periods(decided_on: date, serious: bool) -> tuple[date, date]:
    """(publicity end, repairable after) for a 行政处罚: for ordinary breaches the minimum publicity
    is 3 months and the maximum 1 year; for serious ones 1 and 3 years."""
    if serious:
        return _add_years(decided_on, 3), _add_years(decided_on, 1)
    return _add_years(decided_on, 1), _add_months(decided_on, 3)


class Generator:
    def __init__(self, seed: int, as_of: date, city_name: str) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.city = city_name
        self._usccs: set[str] = {d.uscc for d in DEMO_ENTERPRISES}
        self._names: set[str] = {d.name for d in DEMO_ENTERPRISES}
        self._doc_serial = 1000

    # ------------------------------------------------------------------ building blocks
    def person_name(self) -> str:
        given = "".join(self.rng.choices(GIVEN_CHARS, k=self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def uscc(self, individual: bool, region: str) -> str:
        while True:
            body = "MA" + "".join(self.rng.choices(USCC_CHARSET, k=6))
            first17 = ("92" if individual else "91") + region + body
            first17 += compute_org_code_check_char(body)
            code = first17 + compute_check_char(first17)
            if code not in self._usccs:
                self._usccs.add(code)
                return code

    def _days_ago(self, low: int, high: int) -> date:
        return self.as_of - timedelta(days=self.rng.randint(low, high))

    def _doc_no(self, prefix: str, day: date) -> str:
        self._doc_serial += 1
        return f"{prefix}〔{day.year}〕{self._doc_serial}号"

    # ------------------------------------------------------------------ entities
    def entities(self, count: int) -> Iterator[GeneratedEntity]:
        """`count` random entities; the i-th of the first 13 is guaranteed a record in the i-th
        category so that every category exists in any demo database of reasonable size."""
        categories = list(CreditCategory)
        for i in range(count):
            individual = self.rng.random() < 0.25
            entity = self._individual() if individual else self._company()
            forced = categories[i] if i < len(categories) else None
            entity.records = self._records(entity.registry, individual, forced)
            yield entity

    def _registry_row(
        self,
        *,
        name: str,
        uscc: str,
        entity_type: str,
        industry: str,
        scale: EnterpriseScale,
        capital: Decimal,
        established_on: date,
        district: str,
        tags: list[str],
        legal_representative: str | None = None,
    ) -> dict[str, Any]:
        road = self.rng.choice(ROADS)
        return {
            "uscc": uscc,
            "name": name,
            "legal_representative": legal_representative or self.person_name(),
            "entity_type": entity_type,
            "industry": industry,
            "scale": scale.value,
            "registered_capital": capital,
            "established_on": established_on,
            "address": f"{self.city}{district}{road}{self.rng.randint(1, 999)}号",
            "registration_authority": f"{self.city}{district}市场监督管理局",
            "status": "在业" if entity_type == INDIVIDUAL_TYPE else "存续",
            "tags": tags,
            "white_listed": False,
        }

    def _trade_name(self, long: bool) -> str:
        return "".join(self.rng.sample(TRADE_NAME_CHARS, 3 if long else 2))

    def _unique_name(self, make: Callable[[bool], str]) -> str:
        # Two-character 字号 read naturally but run out after some tens of thousands of
        # entities; after a few collisions fall back to three characters.
        for attempt in range(1000):
            name = make(attempt >= 5)
            if name not in self._names:
                self._names.add(name)
                return name
        raise RuntimeError("名称空间用尽，请减少生成数量或扩充字号字表")

    def _company(self) -> GeneratedEntity:
        rng = self.rng
        industry = rng.choices(
            list(COMPANY_INDUSTRY_WEIGHTS), weights=list(COMPANY_INDUSTRY_WEIGHTS.values())
        )[0]
        types, weights = zip(*COMPANY_TYPES, strict=True)
        entity_type = rng.choices(types, weights=weights)[0]
        suffix = "股份有限公司" if entity_type.startswith("股份") else "有限公司"

        def make(long: bool) -> str:
            trade = self._trade_name(long)
            return f"{self.city}{trade}{rng.choice(COMPANY_TRADES[industry])}{suffix}"

        region, district = rng.choice(DISTRICTS)
        scale = rng.choices(list(EnterpriseScale), weights=(45, 40, 15))[0]
        capital_range = {
            EnterpriseScale.MICRO: (10, 200),
            EnterpriseScale.SMALL: (100, 2000),
            EnterpriseScale.MEDIUM: (1000, 10000),
        }
        low, high = capital_range[scale]
        return GeneratedEntity(
            self._registry_row(
                name=self._unique_name(make),
                uscc=self.uscc(False, region),
                entity_type=entity_type,
                industry=industry,
                scale=scale,
                capital=Decimal(rng.randrange(low, high + 1, 10)),
                established_on=self._days_ago(60, 365 * 25),
                district=district,
                tags=self._company_tags(industry),
            )
        )

    def _company_tags(self, industry: str) -> list[str]:
        rng = self.rng
        tags: list[str] = []
        innovative = industry in (MANUFACTURING, IT, RESEARCH)
        odds = (
            (EnterpriseTag.SPECIALIZED, 0.10 if innovative else 0.0),
            (EnterpriseTag.HIGH_TECH, 0.15 if innovative else 0.02),
            (EnterpriseTag.TECH_SME, 0.20 if innovative else 0.03),
            (EnterpriseTag.DIGITAL, 0.12 if industry == MANUFACTURING else 0.0),
            (EnterpriseTag.GREEN, 0.08),
            (EnterpriseTag.GOV_PROCUREMENT, 0.10),
        )
        for tag, chance in odds:
            # Draw for every tag regardless, so one tag's odds never shift the sequence of another.
            if rng.random() < chance:
                tags.append(tag.value)
        return tags

    def _individual(self) -> GeneratedEntity:
        rng = self.rng
        operator = self.person_name()
        shop, industry = rng.choice(SHOPS)
        region, district = rng.choice(DISTRICTS)

        def make(long: bool) -> str:
            trade = operator[0] + "记" if rng.random() < 0.4 else self._trade_name(long)
            return f"{self.city}{district}{trade}{shop}"

        return GeneratedEntity(
            self._registry_row(
                name=self._unique_name(make),
                uscc=self.uscc(True, region),
                entity_type=INDIVIDUAL_TYPE,
                industry=industry,
                scale=EnterpriseScale.MICRO,
                capital=Decimal(rng.randrange(1, 51)),
                established_on=self._days_ago(30, 365 * 15),
                district=district,
                tags=[],
                legal_representative=operator,
            )
        )

    # ------------------------------------------------------------------ records
    def _records(
        self, registry: dict[str, Any], individual: bool, forced: CreditCategory | None
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for category, (company_odds, individual_odds) in CATEGORY_ODDS.items():
            chance = individual_odds if individual else company_odds
            hit = self.rng.random() < chance
            if hit or category is forced:
                count = 2 if self.rng.random() < 0.15 else 1
                rows.extend(self.make_record(category, registry) for _ in range(count))
        return rows

    def make_record(self, category: CreditCategory, registry: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        city = self.city
        since = max(registry["established_on"], self.as_of - timedelta(days=365 * 6))
        span = max((self.as_of - since).days, 1)
        decided = self.as_of - timedelta(days=rng.randint(0, span))

        if category is CreditCategory.ADMINISTRATIVE_LICENSE:
            licence, authority = rng.choice(
                (
                    ("食品经营许可证", "市场监督管理局"),
                    ("排污许可证", "生态环境局"),
                    ("道路运输经营许可证", "交通运输局"),
                    ("建筑业企业资质证书", "住房和城乡建设局"),
                    ("危险化学品经营许可证", "应急管理局"),
                    ("卫生许可证", "卫生健康委员会"),
                )
            )
            return record(
                category,
                f"{licence}核发",
                f"准予行政许可：核发《{licence}》，有效期五年。",
                f"{city}{authority}",
                decided,
                document_no=self._doc_no("示许", decided),
                publicity_end_on=_add_years(decided, 5),
            )

        if category is CreditCategory.ADMINISTRATIVE_PENALTY:
            reason, law, authority = rng.choice(
                (
                    ("未按规定公示食品经营许可证", "《食品安全法》", "市场监督管理局"),
                    ("未按规定设置危险废物识别标志", "《固体废物污染环境防治法》", "生态环境局"),
                    ("未按规定开展安全生产教育培训", "《安全生产法》", "应急管理局"),
                    ("逾期未申报纳税", "《税收征收管理法》", "税务局"),
                    ("擅自占用道路堆放物料", "《城市市容和环境卫生管理条例》", "城市管理局"),
                    ("消防设施未保持完好有效", "《消防法》", "消防救援支队"),
                )
            )
            amount = Decimal(rng.choice((500, 1000, 2000, 5000, 10000, 20000, 50000, 150000)))
            serious = amount >= 100000
            publicity_end, repairable = penalty_periods(decided, serious)
            return record(
                category,
                f"{city}{authority}行政处罚决定书",
                f"当事人{reason}，违反{law}相关规定，决定给予警告并处罚款人民币{amount:,}元。",
                f"{city}{authority}",
                decided,
                document_no=self._doc_no("示罚", decided),
                amount=amount,
                publicity_end_on=publicity_end,
                repairable_after=repairable,
            )

        if category is CreditCategory.SERIOUS_DISHONESTY:
            listing, authority = rng.choice(
                (
                    ("拖欠农民工工资失信联合惩戒对象名单", "人力资源和社会保障局"),
                    ("重大税收违法失信主体名单", "税务局"),
                    ("失信被执行人名单", "中级人民法院"),
                )
            )
            return record(
                category,
                f"列入{listing}",
                f"经认定，当事人被列入{listing}，依法依规实施失信惩戒。",
                f"{city}{authority}",
                decided,
                document_no=self._doc_no("示失信", decided),
                publicity_end_on=_add_years(decided, 3),
                repairable_after=_add_years(decided, 1),
            )

        if category is CreditCategory.JUDICIAL:
            cause = rng.choice(("买卖合同纠纷", "借款合同纠纷", "租赁合同纠纷", "劳动争议"))
            amount = Decimal(rng.randrange(10000, 800000, 1000))
            return record(
                category,
                f"民事判决书（{cause}）",
                f"{cause}一案，判决当事人支付款项人民币{amount:,}元；目前处于执行阶段。",
                f"{city}人民法院",
                decided,
                document_no=(
                    f"（{decided.year}）示0{rng.randint(1, 5)}民初{rng.randint(100, 9999)}号"
                ),
                amount=amount,
            )

        if category is CreditCategory.HONOR:
            honor, authority = rng.choice(
                (
                    ("守合同重信用企业", "市场监督管理局"),
                    ("诚信纳税企业", "税务局"),
                    ("安全生产标准化示范企业", "应急管理局"),
                    ("文明单位", "精神文明建设委员会办公室"),
                )
            )
            return record(
                category,
                f"{decided.year}年度{city}{honor}",
                f"被评为{decided.year}年度{city}{honor}。",
                f"{city}{authority}",
                decided,
            )

        if category is CreditCategory.TAX_CREDIT_GRADE:
            grade = rng.choices(list(TAX_GRADE_WEIGHTS), weights=list(TAX_GRADE_WEIGHTS.values()))[
                0
            ]
            # Grades for a year are published the following April.
            published = tax_publication_day(self.as_of)
            year = published.year - 1
            return record(
                category,
                f"{year}年度纳税信用等级评价",
                f"{year}年度纳税信用等级为{grade.value}级。",
                f"国家税务总局{city}税务局",
                published,
                value=grade.value,
            )

        if category is CreditCategory.SOCIAL_INSURANCE_ARREARS:
            amount = Decimal(rng.randrange(2000, 120000, 100)) + Decimal("0.50")
            return record(
                category,
                "社会保险费欠缴",
                f"截至{decided:%Y年%m月}，欠缴城镇职工基本养老保险费等社会保险费{amount:,}元。",
                f"{city}社会保险事业管理中心",
                decided,
                amount=amount,
            )

        if category is CreditCategory.HOUSING_FUND_ARREARS:
            amount = Decimal(rng.randrange(1000, 60000, 100))
            return record(
                category,
                "住房公积金欠缴",
                f"截至{decided:%Y年%m月}，欠缴职工住房公积金{amount:,}元。",
                f"{city}住房公积金管理中心",
                decided,
                amount=amount,
            )

        if category is CreditCategory.UTILITY_ARREARS:
            utility, provider = rng.choice(
                (
                    ("电费", f"国网{city}供电公司"),
                    ("水费", f"{city}自来水有限公司"),
                    ("燃气费", f"{city}燃气有限公司"),
                )
            )
            amount = Decimal(rng.randrange(30000, 2000000)) / 100
            return record(
                category,
                f"{utility}欠费",
                f"截至{decided:%Y年%m月}，欠缴{utility}{amount:,}元，逾期超过90天。",
                provider,
                decided,
                amount=amount,
            )

        if category is CreditCategory.REAL_ESTATE:
            area = rng.randrange(80, 20000)
            mortgaged = rng.random() < 0.4
            return record(
                category,
                "不动产权登记",
                f"{'工业用地及厂房' if area > 1000 else '商业用房'}，建筑面积{area}平方米；"
                f"抵押状态：{'已抵押' if mortgaged else '未抵押'}。",
                f"{city}不动产登记中心",
                decided,
                document_no=f"示（{decided.year}）{city}不动产权第{rng.randint(1, 99999):07d}号",
            )

        if category is CreditCategory.IMPORT_EXPORT:
            total = rng.randrange(20, 5000)
            level = rng.choice(("一般认证企业", "高级认证企业", "一般信用企业"))
            return record(
                category,
                f"{decided.year}年度进出口情况",
                f"{decided.year}年度进出口总额{total}万美元；海关信用等级：{level}。",
                f"{city}海关",
                decided,
                value=level,
            )

        if category is CreditCategory.INTELLECTUAL_PROPERTY:
            kind = rng.choice(("发明专利", "实用新型专利", "注册商标"))
            topic = rng.choice(("检测装置", "加工方法", "控制系统", "节能设备", "包装结构"))
            trade = registry["name"][len(city) : len(city) + 2]
            subject = f"一种{topic}" if kind != "注册商标" else f"“{trade}”商标"
            return record(
                category,
                f"{kind}授权",
                f"{kind}：{subject}，已授权并维持有效。",
                "国家知识产权局",
                decided,
                document_no=f"ZL{decided.year}{rng.randint(10**7, 10**8 - 1)}",
            )

        if category is CreditCategory.RESEARCH:
            amount = Decimal(rng.randrange(10, 500)) * 10000
            return record(
                category,
                f"{decided.year}年度研发费用加计扣除",
                f"{decided.year}年度研发费用{amount:,}元，享受研发费用加计扣除政策。",
                f"{city}科学技术局",
                decided,
                amount=amount,
            )

        raise ValueError(f"未知的信息类别：{category}")  # pragma: no cover


def demo_entities(as_of: date) -> list[GeneratedEntity]:
    """The fixed DEMO_ENTERPRISES with hand-written records, dated relative to `as_of` so the
    stories hold whenever the database is seeded."""
    green, diner, precision = DEMO_ENTERPRISES
    city = "示范市"
    last_year = as_of.year - 1
    tax_day = tax_publication_day(as_of)
    tax_year = tax_day.year - 1

    green_penalty_on = as_of - timedelta(days=200)
    green_public_end, green_repairable = penalty_periods(green_penalty_on, serious=False)
    diner_penalty_on = as_of - timedelta(days=40)
    diner_public_end, diner_repairable = penalty_periods(diner_penalty_on, serious=False)

    return [
        GeneratedEntity(
            {
                "uscc": green.uscc,
                "name": green.name,
                "legal_representative": green.legal_representative,
                "entity_type": "有限责任公司（自然人投资或控股）",
                "industry": MANUFACTURING,
                "scale": EnterpriseScale.SMALL.value,
                "registered_capital": Decimal("500.00"),
                "established_on": date(2016, 4, 12),
                "address": f"{city}城东区创新大道88号",
                "registration_authority": f"{city}城东区市场监督管理局",
                "status": "存续",
                "tags": [
                    EnterpriseTag.SPECIALIZED.value,
                    EnterpriseTag.GREEN.value,
                    EnterpriseTag.TECH_SME.value,
                ],
                "white_listed": False,
            },
            [
                record(
                    CreditCategory.ADMINISTRATIVE_LICENSE,
                    "排污许可证核发",
                    "准予行政许可：核发《排污许可证》，有效期五年。",
                    f"{city}生态环境局",
                    date(2021, 6, 18),
                    document_no="示环许〔2021〕37号",
                    publicity_end_on=date(2026, 6, 17),
                ),
                record(
                    CreditCategory.ADMINISTRATIVE_PENALTY,
                    f"{city}生态环境局行政处罚决定书",
                    "当事人未按规定设置危险废物识别标志，违反《固体废物污染环境防治法》相关规定，"
                    "决定处罚款人民币20,000元。当事人已缴纳罚款并完成整改。",
                    f"{city}生态环境局",
                    green_penalty_on,
                    document_no=f"示环罚〔{green_penalty_on.year}〕12号",
                    amount=Decimal("20000"),
                    publicity_end_on=green_public_end,
                    repairable_after=green_repairable,
                ),
                record(
                    CreditCategory.HONOR,
                    f"{city}专精特新中小企业",
                    f"被认定为{city}专精特新中小企业。",
                    f"{city}工业和信息化局",
                    date(2023, 9, 1),
                ),
                record(
                    CreditCategory.TAX_CREDIT_GRADE,
                    f"{tax_year}年度纳税信用等级评价",
                    f"{tax_year}年度纳税信用等级为A级。",
                    f"国家税务总局{city}税务局",
                    tax_day,
                    value=TaxCreditGrade.A.value,
                ),
                record(
                    CreditCategory.INTELLECTUAL_PROPERTY,
                    "发明专利授权",
                    "发明专利：一种工业废水深度处理装置，已授权并维持有效。",
                    "国家知识产权局",
                    date(2022, 11, 8),
                    document_no="ZL202110456789",
                ),
                record(
                    CreditCategory.RESEARCH,
                    f"{last_year}年度研发费用加计扣除",
                    f"{last_year}年度研发费用1,860,000元，享受研发费用加计扣除政策。",
                    f"{city}科学技术局",
                    date(last_year, 12, 31),
                    amount=Decimal("1860000"),
                ),
            ],
        ),
        GeneratedEntity(
            {
                "uscc": diner.uscc,
                "name": diner.name,
                "legal_representative": diner.legal_representative,
                "entity_type": INDIVIDUAL_TYPE,
                "industry": CATERING,
                "scale": EnterpriseScale.MICRO.value,
                "registered_capital": Decimal("10.00"),
                "established_on": date(2021, 8, 3),
                "address": f"{city}城西区文化路126号",
                "registration_authority": f"{city}城西区市场监督管理局",
                "status": "在业",
                "tags": [],
                "white_listed": False,
            },
            [
                record(
                    CreditCategory.ADMINISTRATIVE_LICENSE,
                    "食品经营许可证核发",
                    "准予行政许可：核发《食品经营许可证》，有效期五年。",
                    f"{city}城西区市场监督管理局",
                    date(2021, 8, 10),
                    document_no="JY23299020012345",
                    publicity_end_on=date(2026, 8, 9),
                ),
                record(
                    CreditCategory.ADMINISTRATIVE_PENALTY,
                    f"{city}城西区市场监督管理局行政处罚决定书",
                    "当事人未按规定在经营场所显著位置公示食品经营许可证，违反《食品安全法》相关规定，"
                    "决定给予警告并处罚款人民币3,000元。",
                    f"{city}城西区市场监督管理局",
                    diner_penalty_on,
                    document_no=f"示西市监罚〔{diner_penalty_on.year}〕58号",
                    amount=Decimal("3000"),
                    publicity_end_on=diner_public_end,
                    repairable_after=diner_repairable,
                ),
                record(
                    CreditCategory.UTILITY_ARREARS,
                    "燃气费欠费",
                    f"截至{as_of - timedelta(days=95):%Y年%m月}，"
                    "欠缴燃气费1,236.50元，逾期超过90天。",
                    f"{city}燃气有限公司",
                    as_of - timedelta(days=95),
                    amount=Decimal("1236.50"),
                ),
                record(
                    CreditCategory.TAX_CREDIT_GRADE,
                    f"{tax_year}年度纳税信用等级评价",
                    f"{tax_year}年度纳税信用等级为M级。",
                    f"国家税务总局{city}税务局",
                    tax_day,
                    value=TaxCreditGrade.M.value,
                ),
            ],
        ),
        GeneratedEntity(
            {
                "uscc": precision.uscc,
                "name": precision.name,
                "legal_representative": precision.legal_representative,
                "entity_type": "有限责任公司（自然人投资或控股）",
                "industry": MANUFACTURING,
                "scale": EnterpriseScale.MEDIUM.value,
                "registered_capital": Decimal("3000.00"),
                "established_on": date(2012, 3, 20),
                "address": f"{city}湖滨区工业园路18号",
                "registration_authority": f"{city}湖滨区市场监督管理局",
                "status": "存续",
                "tags": [
                    EnterpriseTag.GOV_PROCUREMENT.value,
                    EnterpriseTag.HIGH_TECH.value,
                    EnterpriseTag.DIGITAL.value,
                ],
                "white_listed": True,
            },
            [
                record(
                    CreditCategory.ADMINISTRATIVE_LICENSE,
                    "安全生产标准化三级企业确认",
                    "准予确认：安全生产标准化三级企业。",
                    f"{city}应急管理局",
                    date(2022, 5, 16),
                    document_no="示应急标〔2022〕105号",
                ),
                record(
                    CreditCategory.HONOR,
                    f"{last_year}年度{city}守合同重信用企业",
                    f"被评为{last_year}年度{city}守合同重信用企业。",
                    f"{city}市场监督管理局",
                    date(last_year, 6, 30),
                ),
                record(
                    CreditCategory.HONOR,
                    f"{last_year}年度{city}诚信纳税企业",
                    f"被评为{last_year}年度{city}诚信纳税企业。",
                    f"国家税务总局{city}税务局",
                    date(last_year, 3, 15),
                ),
                record(
                    CreditCategory.TAX_CREDIT_GRADE,
                    f"{tax_year}年度纳税信用等级评价",
                    f"{tax_year}年度纳税信用等级为A级。",
                    f"国家税务总局{city}税务局",
                    tax_day,
                    value=TaxCreditGrade.A.value,
                ),
                record(
                    CreditCategory.REAL_ESTATE,
                    "不动产权登记",
                    "工业用地及厂房，建筑面积12,600平方米；抵押状态：未抵押。",
                    f"{city}不动产登记中心",
                    date(2015, 7, 2),
                    document_no=f"示（2015）{city}不动产权第0003618号",
                ),
                record(
                    CreditCategory.IMPORT_EXPORT,
                    f"{last_year}年度进出口情况",
                    f"{last_year}年度进出口总额860万美元；海关信用等级：一般认证企业。",
                    f"{city}海关",
                    date(last_year, 12, 31),
                    value="一般认证企业",
                ),
                record(
                    CreditCategory.INTELLECTUAL_PROPERTY,
                    "发明专利授权",
                    "发明专利：一种高精度数控加工夹具，已授权并维持有效。",
                    "国家知识产权局",
                    date(2020, 4, 21),
                    document_no="ZL201910234567",
                ),
            ],
        ),
    ]
