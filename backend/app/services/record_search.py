"""Finding the record a user means from their own words ("我那个罚款早就交了怎么还挂着").

Ranking, all on the enterprise's own records:
  1. category words: 罚款/处罚/罚 → 行政处罚, 欠费/水费/电费/燃气 → 水电气欠费, 社保 → 社保欠缴,
     失信/黑名单 → 严重失信名单, 判决/执行/法院 → 司法判决及执行, and a few more below. A word
     naming the subject (社保, 燃气) weighs more than a generic one (欠费, 罚).
  2. words of the message found in the record's title or content: the vocabulary words above,
     then any two-character piece of the message (Chinese has no spaces to split on).
  3. a number in the message equal to the record's amount (“三千那个” is not understood; “3000”
     is).
Records with no hit at all are left out, so an empty list means "ask the user which category".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import CreditCategory, DataClass
from app.masking import mask_text
from app.models import CreditRecord, Enterprise, RegistryEntity
from app.services.audit import Actor, record_access

C = CreditCategory

# (word, category, weight): weight 3 names the subject, 1 is a generic word.
CATEGORY_WORDS: tuple[tuple[str, CreditCategory, int], ...] = (
    ("行政处罚", C.ADMINISTRATIVE_PENALTY, 3),
    ("罚款", C.ADMINISTRATIVE_PENALTY, 3),
    ("处罚", C.ADMINISTRATIVE_PENALTY, 3),
    ("罚单", C.ADMINISTRATIVE_PENALTY, 3),
    ("罚", C.ADMINISTRATIVE_PENALTY, 1),
    ("欠费", C.UTILITY_ARREARS, 2),
    ("水费", C.UTILITY_ARREARS, 3),
    ("电费", C.UTILITY_ARREARS, 3),
    ("燃气", C.UTILITY_ARREARS, 3),
    ("煤气", C.UTILITY_ARREARS, 3),
    ("水电", C.UTILITY_ARREARS, 3),
    ("社保", C.SOCIAL_INSURANCE_ARREARS, 3),
    ("社会保险", C.SOCIAL_INSURANCE_ARREARS, 3),
    ("养老保险", C.SOCIAL_INSURANCE_ARREARS, 3),
    ("公积金", C.HOUSING_FUND_ARREARS, 3),
    ("失信", C.SERIOUS_DISHONESTY, 3),
    ("黑名单", C.SERIOUS_DISHONESTY, 3),
    ("老赖", C.SERIOUS_DISHONESTY, 3),
    ("判决", C.JUDICIAL, 3),
    ("执行", C.JUDICIAL, 2),
    ("法院", C.JUDICIAL, 3),
    ("官司", C.JUDICIAL, 3),
    ("纳税", C.TAX_CREDIT_GRADE, 2),
    ("纳税信用", C.TAX_CREDIT_GRADE, 3),
    ("税务", C.TAX_CREDIT_GRADE, 2),
    ("许可", C.ADMINISTRATIVE_LICENSE, 3),
    ("许可证", C.ADMINISTRATIVE_LICENSE, 3),
    ("执照", C.ADMINISTRATIVE_LICENSE, 2),
    ("荣誉", C.HONOR, 3),
    ("表彰", C.HONOR, 3),
    ("专利", C.INTELLECTUAL_PROPERTY, 3),
    ("商标", C.INTELLECTUAL_PROPERTY, 3),
    ("不动产", C.REAL_ESTATE, 3),
    ("房产", C.REAL_ESTATE, 3),
    ("厂房", C.REAL_ESTATE, 3),
    ("进出口", C.IMPORT_EXPORT, 3),
    ("海关", C.IMPORT_EXPORT, 3),
    ("研发", C.RESEARCH, 3),
)
# Words that say nothing about which record is meant; their pieces never count as a text match.
_FILLER = re.compile(
    r"我们|我的|那个|这个|那条|这条|怎么|为什么|还是|还有|已经|早就|一直|可是|但是|就是|不是|"
    r"记录|信息|信用|平台|显示|上面|挂着|有个|一个|一条|一下|帮我|请问|你们|企业|公司|问题"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

CATEGORY_POINTS = 10
WORD_POINTS = 4
PIECE_POINTS = 1
AMOUNT_POINTS = 6
MAX_RESULTS = 20


@dataclass
class _Score:
    points: int = 0
    matched: list[str] = field(default_factory=list)

    def add(self, points: int, word: str) -> None:
        self.points += points
        if word not in self.matched:
            self.matched.append(word)


@dataclass(frozen=True)
class Candidate:
    record: CreditRecord
    score: int
    matched: list[str]
    title: str
    content: str


@dataclass(frozen=True)
class SearchOutcome:
    categories: list[CreditCategory]
    candidates: list[Candidate]


def _normalize(text: str) -> str:
    return re.sub(
        r"[\s,，。！？!?、；;：:“”\"'‘’（）()]+", " ", unicodedata.normalize("NFKC", text)
    )


def infer_categories(query: str) -> dict[CreditCategory, tuple[int, list[str]]]:
    """Categories the message names, with their weight and the words that named them."""
    found: dict[CreditCategory, tuple[int, list[str]]] = {}
    for word, category, weight in CATEGORY_WORDS:
        if word in query:
            points, words = found.get(category, (0, []))
            found[category] = (points + weight, [*words, word])
    return found


def _pieces(query: str) -> set[str]:
    """Two-character pieces of the message's Chinese runs, filler words taken out."""
    runs = re.findall(r"[\u4e00-\u9fff]+", _FILLER.sub(" ", query))
    return {run[i : i + 2] for run in runs for i in range(len(run) - 1)}


def _amounts(query: str) -> set[Decimal]:
    values: set[Decimal] = set()
    for match in _NUMBER.findall(query.replace(",", "")):
        try:
            values.add(Decimal(match))
        except InvalidOperation:  # pragma: no cover (the pattern only matches numbers)
            continue
    return values


def _amount_text(amount: Decimal) -> str:
    """3000.00 → "3000", 1236.50 → "1236.5"."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount.normalize():f}"


def rank_records(
    query: str, records: list[CreditRecord], person_names: tuple[str, ...] = ()
) -> SearchOutcome:
    text = _normalize(query)
    categories = infer_categories(text)
    pieces = _pieces(text)
    amounts = _amounts(text)
    vocabulary = [word for word, _, _ in CATEGORY_WORDS if word in text]

    candidates: list[Candidate] = []
    for record in records:
        score = _Score()
        if (hit := categories.get(CreditCategory(record.category))) is not None:
            weight, words = hit
            for word in words:
                score.add(0, word)
            score.points += CATEGORY_POINTS * weight
        haystack = f"{record.title} {record.content} {record.document_no or ''}"
        for word in vocabulary:
            if word in haystack:
                score.add(WORD_POINTS, word)
        for piece in sorted(pieces):
            if piece in haystack and not any(piece in word for word in vocabulary):
                score.add(PIECE_POINTS, piece)
        if record.amount is not None and Decimal(record.amount) in amounts:
            score.add(AMOUNT_POINTS, _amount_text(Decimal(record.amount)))
        if score.points > 0:
            candidates.append(
                Candidate(
                    record=record,
                    score=score.points,
                    matched=score.matched,
                    title=mask_text(record.title, person_names),
                    content=mask_text(record.content, person_names),
                )
            )
    # Highest score first; among equals the most recent decision, then the newest record.
    candidates.sort(key=lambda c: (-c.score, -c.record.decided_on.toordinal(), -c.record.id))
    ranked = sorted(categories, key=lambda c: -categories[c][0])
    return SearchOutcome(categories=ranked, candidates=candidates)


def search_records(
    session: Session, enterprise: Enterprise, query: str, *, actor: Actor, limit: int = 5
) -> SearchOutcome:
    """The enterprise's records ranked against the message. Showing non-public records is a read
    of non-public data and is audited in the same transaction."""
    entity = session.get_one(RegistryEntity, enterprise.registry_entity_id)
    records = list(
        session.scalars(
            select(CreditRecord)
            .where(CreditRecord.registry_entity_id == entity.id)
            .order_by(CreditRecord.id)
        )
    )
    outcome = rank_records(query, records, (entity.legal_representative,))
    shown = outcome.candidates[: min(limit, MAX_RESULTS)]
    non_public = [c.record for c in shown if c.record.data_class == DataClass.NON_PUBLIC.value]
    if non_public:
        record_access(
            session,
            actor,
            action="read_non_public",
            subject_type="enterprise",
            subject_id=enterprise.id,
            purpose="异议申诉：按用户描述查找信用记录",
            details={
                "record_ids": [r.id for r in non_public],
                "categories": sorted({r.category for r in non_public}),
            },
        )
        session.commit()
    return SearchOutcome(categories=outcome.categories, candidates=shown)
