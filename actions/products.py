"""产品匹配与申请: the need (amount, term, purpose) → ranked products with reasons → an application.

Amounts are held in 万元 (the backend's unit) and terms in months. An application to a bank needs
an authorization covering that bank: the backend answers 409 authorization_required, the form
sets `pending_application` and the rules run the authorization form, whose completion brings the
application form back with every answer kept, so it submits at once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import WECHAT_MAX_BYTES, channel_of
from actions.forms import FlowFormValidation, delivery_key
from actions.registration import registered_enterprise

# The answer "I don't mind" to an optional part of the need (matching ignores it).
UNSPECIFIED = 0
_NO_PREFERENCE = (
    "不确定",
    "不知道",
    "不限",
    "都行",
    "都可以",
    "随便",
    "无所谓",
    "没想好",
    "看情况",
)

_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5}
_DIGIT |= {"六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = "零〇一二两俩三四五六七八九十百千"
_NUMBER = rf"(\d+(?:\.\d+)?|[{_CN_NUMBER}]+)"
_AMOUNT = re.compile(_NUMBER + r"\s*(亿|万|w|千|k)?\s*(元|块)?", re.IGNORECASE)
_YEARS = re.compile(_NUMBER + r"\s*(?:个)?\s*(?:年|周年)(半)?")
_MONTHS = re.compile(_NUMBER + r"\s*(?:个)?\s*月")
_ORDINAL = re.compile(r"第\s*([1-9一二三四五六七八九])\s*(?:个|项|款|种)?")


def chinese_number(text: str) -> float | None:
    """Arabic or Chinese numerals as a number: 12, 1.5, 五十, 一百二十, 两千 …"""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGIT:
            current = _DIGIT[char]
        elif char in _UNIT:
            total += (current or 1) * _UNIT[char]
            current = 0
        else:
            return None
    return float(total + current)


def normalized(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def no_preference(text: str) -> bool:
    return any(word in text for word in _NO_PREFERENCE)


def parse_amount(text: Any) -> float | None:
    """An amount in 万元: 100万, 五十万, 1000000 (元), 1.5亿, 50w. A bare number under 1,000 is
    taken as 万元 (the question asks in 万), a larger one as 元."""
    text = normalized(text).replace(",", "").replace("，", "")
    match = _AMOUNT.search(text)
    if not match:
        return None
    value = chinese_number(match.group(1))
    if value is None:
        return None
    unit = (match.group(2) or "").lower()
    if unit == "亿":
        value *= 10_000
    elif unit in ("千", "k"):
        value /= 10
    elif unit not in ("万", "w") and (value >= 1000 or match.group(3)):
        value /= 10_000
    return round(value, 2)


def parse_months(text: Any) -> int | None:
    """A term in months: 1年 → 12, 一年半 → 18, 半年 → 6, 18个月 → 18, a bare 12 → 12."""
    text = normalized(text)
    if "半年" in text and not re.search(rf"[\d{_CN_NUMBER}]\s*年半", text):
        return 6
    if match := _YEARS.search(text):
        years = chinese_number(match.group(1))
        if years is not None:
            return int(years * 12 + (6 if match.group(2) else 0))
    if match := _MONTHS.search(text):
        months = chinese_number(match.group(1))
        return None if months is None else int(months)
    if match := re.fullmatch(r"(\d{1,3})", text):
        return int(match.group(1))
    return None


def amount_text(amount: float | int | Decimal) -> str:
    value = float(amount)
    return f"{value:g}万元"


def term_text(months: int) -> str:
    if months % 12 == 0:
        return f"{months // 12}年（{months}个月）"
    return f"{months}个月"


def entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def fits(lines: list[str], limit: int = WECHAT_MAX_BYTES) -> bool:
    return len("\n".join(lines).encode()) <= limit


def apply_payload(product: str, need: dict[str, Any]) -> str:
    """The button that applies for a matched product, carrying the need the user gave."""
    entities: dict[str, str] = {"product": product}
    if need.get("amount"):
        entities["amount"] = amount_text(need["amount"]).removesuffix("元")
    if need.get("term_months"):
        entities["term"] = f"{need['term_months']}个月"
    if need.get("purpose"):
        entities["purpose"] = need["purpose"]
    return "/apply_product" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def product_line(product: dict[str, Any]) -> str:
    return (
        f"{product['name']}（{product['institution']['name']}）{product['guarantee_type']}｜"
        f"{product['amount_min']}–{product['amount_max']}万元｜"
        f"年化{product['rate_min']:g}%–{product['rate_max']:g}%｜"
        f"{product['term_months_min']}–{product['term_months_max']}个月"
    )


def matches_text(result: dict[str, Any]) -> str:
    """Ranked eligible products with their reasons, then the others briefly with why not, within
    WeChat's 2,048 bytes (fewer details until it fits)."""
    need = result["need"]
    asked = []
    if need.get("amount"):
        asked.append(f"金额{amount_text(need['amount'])}")
    if need.get("term_months"):
        asked.append(f"期限{term_text(need['term_months'])}")
    if need.get("purpose"):
        asked.append(f"用途：{need['purpose']}")
    opening = f"按您的需求（{'，'.join(asked)}）" if asked else "按贵企业的情况"
    eligible, ineligible = result["eligible"], result["ineligible"]

    for shown, reasons_each, others_shown in ((5, 3, 4), (3, 2, 3), (3, 1, 2), (2, 1, 0)):
        lines = []
        if eligible:
            lines.append(f"{opening}，可申请的产品共{len(eligible)}个，推荐顺序如下：")
            for match in eligible[:shown]:
                lines.append(f"{match['rank']}. {product_line(match['product'])}")
                # What fits the stated purpose says most; the amount and term fit come after.
                ordered = sorted(match["reasons"], key=lambda reason: "用途" not in reason)
                reasons = "；".join(ordered[:reasons_each])
                if reasons:
                    lines.append(f"   理由：{reasons}")
            if len(eligible) > shown:
                lines.append(f"（另有{len(eligible) - shown}个产品也可申请）")
        else:
            lines.append(f"{opening}，暂时没有完全符合条件的产品。")
        if ineligible and others_shown:
            lines.append("暂不符合的产品：")
            for match in ineligible[:others_shown]:
                lines.append(f"· {match['product']['name']}：{'；'.join(match['unmet'][:1])}")
            if len(ineligible) > others_shown:
                lines.append(f"· 另有{len(ineligible) - others_shown}个产品暂不符合")
        if eligible:
            lines.append("点击下方按钮即可在线申请；申请前需授权该银行查询贵企业的信用信息。")
        else:
            lines.append("可以先做信用自查、完善信用记录，或说“转人工”请坐席帮您分析。")
        if fits(lines):
            return "\n".join(lines)
    return "\n".join(lines)[: WECHAT_MAX_BYTES // 3]


class ProductNeedValidation(FlowFormValidation):
    """The need shared by matching and applying: amount, term, purpose."""

    # Matching accepts "不确定" for any part of the need; an application needs every part.
    optional_need = True
    slot_hints: ClassVar[dict[str, str]] = {
        "loan_amount": "金额请说一个数，例如“100万”“五十万”或“1000000元”",
        "loan_term": "期限请说年或月，例如“1年”“18个月”",
        "loan_purpose": "用途请简单描述，例如“购买原材料”“支付员工工资”“履行政府采购合同”",
    }

    async def validate_loan_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalized(entity(tracker, "amount") or value)
        if self.optional_need and no_preference(text):
            return self.accept("loan_amount", UNSPECIFIED)
        amount = parse_amount(text)
        if amount is None or amount <= 0:
            return self.reject(dispatcher, "loan_amount", "没听懂金额，请说例如“100万”或“五十万”。")
        if amount > 100_000:
            return self.reject(dispatcher, "loan_amount", "金额超出平台产品的范围，请再确认一下。")
        return self.accept("loan_amount", amount)

    async def validate_loan_term(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalized(entity(tracker, "term") or value)
        if self.optional_need and no_preference(text):
            return self.accept("loan_term", UNSPECIFIED)
        months = parse_months(text)
        if months is None or not 1 <= months <= 360:
            return self.reject(dispatcher, "loan_term", "没听懂期限，请说例如“1年”或“18个月”。")
        return self.accept("loan_term", months)

    async def validate_loan_purpose(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Kept as typed (full-width punctuation and all): it goes to the bank as the user said it.
        text = str(entity(tracker, "purpose") or value or "").strip()[:200]
        if self.optional_need and no_preference(text):
            return self.accept("loan_purpose", "不限")
        if len(text) < 2 or re.fullmatch(r"[\d\s\W]+", normalized(text)):
            return self.reject(
                dispatcher, "loan_purpose", "请简单说明资金用途，例如“购买原材料”“设备更新”。"
            )
        return self.accept("loan_purpose", text)


class ValidateProductForm(ProductNeedValidation):
    def name(self) -> str:
        return "validate_product_form"

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        enterprise = await registered_enterprise(dispatcher, tracker)
        if enterprise is None:
            return {}
        purpose = tracker.get_slot("loan_purpose")
        need = {
            "amount": tracker.get_slot("loan_amount") or None,
            "term_months": int(tracker.get_slot("loan_term") or 0) or None,
            "purpose": None if purpose == "不限" else purpose,
        }
        try:
            result = await backend.match_products(
                enterprise["id"], need, channel_of(tracker), tracker.sender_id
            )
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {}
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            return {}
        eligible = [match["product"]["name"] for match in result["eligible"]]
        buttons = [
            {"title": f"申请{name}", "payload": apply_payload(name, need)} for name in eligible[:3]
        ]
        if not eligible:
            buttons = [
                {"title": "信用自查", "payload": "/credit_check"},
                {"title": "转人工", "payload": "/human_handoff"},
            ]
        dispatcher.utter_message(text=matches_text(result), buttons=buttons)
        return {"matched_products": eligible}


class ActionAskLoanProduct(Action):
    """Which product: the last matching's products first, else the catalogue, as buttons."""

    def name(self) -> str:
        return "action_ask_loan_product"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        names = list(tracker.get_slot("matched_products") or [])
        if not names:
            try:
                names = [product["name"] for product in await backend.products()]
            except BackendUnavailable:
                names = []
        dispatcher.utter_message(
            text="想申请哪个产品？请说产品名称；不确定的话可以说“推荐产品”，先帮您匹配。",
            buttons=[{"title": name, "payload": name} for name in names[:8]],
        )
        return []


class ValidateApplicationForm(ProductNeedValidation):
    optional_need = False
    slot_hints: ClassVar[dict[str, str]] = {
        **ProductNeedValidation.slot_hints,
        "loan_product": "请说产品名称，例如“常信贷”，或说“推荐产品”先看看适合的",
        "application_phone": "请输入11位手机号码，例如 13812345678",
    }

    def name(self) -> str:
        return "validate_application_form"

    async def validate_loan_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            catalogue = await backend.products()
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"loan_product": None}
        product = self.find_product(tracker, value, catalogue)
        if product is None:
            names = "、".join(p["name"] for p in catalogue)
            return self.reject(
                dispatcher, "loan_product", f"没找到这个产品。平台在售的产品有：{names}。"
            )
        return self.accept("loan_product", product["name"])

    @staticmethod
    def find_product(
        tracker: Tracker, value: Any, catalogue: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The product named (entity, name or code in the text) or picked by its place in the
        last matching ("第一个")."""
        texts = [normalized(v) for v in (entity(tracker, "product"), value) if v]
        for text in texts:
            for product in catalogue:
                if product["name"] in text or product["code"] == text.lower():
                    return product
        matched = tracker.get_slot("matched_products") or []
        for text in texts:
            if (ordinal := _ORDINAL.search(text)) and matched:
                place = int(chinese_number(ordinal.group(1)) or 0)
                if 1 <= place <= len(matched):
                    return next((p for p in catalogue if p["name"] == matched[place - 1]), None)
        return None

    async def validate_application_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.phone_answer(dispatcher, "application_phone", value)

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await submit_application(dispatcher, tracker)


APPLICATION_SLOTS = (
    "loan_product",
    "loan_amount",
    "loan_term",
    "loan_purpose",
    "application_phone",
)


async def submit_application(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Submits the application the slots hold; returns the slot changes (a refused field is
    emptied to be asked again; a missing authorization sets `pending_application`)."""
    if any(tracker.get_slot(slot) is None for slot in APPLICATION_SLOTS):
        return {"pending_application": False}
    enterprise = await registered_enterprise(dispatcher, tracker)
    if enterprise is None:
        return {"pending_application": False}
    product = tracker.get_slot("loan_product")
    application = {
        "product_code": product,
        "amount": tracker.get_slot("loan_amount"),
        "term_months": int(tracker.get_slot("loan_term")),
        "purpose": tracker.get_slot("loan_purpose"),
        "contact_phone": tracker.get_slot("application_phone"),
    }
    try:
        result = await backend.apply_product(
            enterprise["id"],
            application,
            channel_of(tracker),
            tracker.sender_id,
            delivery_key(tracker, "application"),
        )
    except BackendUnavailable:
        dispatcher.utter_message(
            text="抱歉，平台服务暂时不可用，申请还没有提交。请稍后再发送一次联系电话重试，"
            "或说“转人工”。"
        )
        return {"application_phone": None}
    except BackendError as error:
        return await _refused(dispatcher, product, error)
    submitted = result["application"]
    if result["created"]:
        dispatcher.utter_message(
            text=(
                f"申请已提交！\n申请编号：{submitted['number']}\n"
                f"产品：{submitted['product']['name']}（{submitted['institution']['name']}）\n"
                f"金额：{amount_text(submitted['amount'])}，期限{submitted['term_months']}个月\n"
                f"联系电话：{submitted['contact_phone']}\n状态：{submitted['status']}\n"
                "银行受理和审批的结果会及时通知您，也可以随时发送申请编号查询进度。"
            )
        )
    else:
        dispatcher.utter_message(
            text=(
                f"贵企业已有一笔进行中的{submitted['product']['name']}申请"
                f"（编号 {submitted['number']}，状态：{submitted['status']}）。"
                "同一产品同时只保留一笔进行中的申请，这次就不重复提交了，请您放心；"
                "办理进度可随时发送申请编号查询。"
            )
        )
    return {"pending_application": False}


async def _refused(
    dispatcher: CollectingDispatcher, product: str, error: BackendError
) -> dict[str, Any]:
    if error.code == "authorization_required":
        institution = await _institution_of(product)
        name = institution["name"] if institution else "该产品所属银行"
        dispatcher.utter_message(
            text=(
                f"申请{product}需要先授权{name}查询贵企业的非公开信用信息（未授权时机构只能看到"
                "公开信息）。我们先办理授权，完成后自动为您继续提交申请；说“算了”可随时暂停。"
            )
        )
        return {
            "pending_application": True,
            "auth_suggested_institution": institution["code"] if institution else None,
        }
    dispatcher.utter_message(text=error.message)
    if error.code == "out_of_product_range":
        fields = error.body.get("fields") or ["amount", "term_months"]
        slots = {"amount": "loan_amount", "term_months": "loan_term"}
        return {slots[field]: None for field in fields if field in slots}
    if error.code == "phone_invalid":
        return {"application_phone": None}
    if error.code == "product_not_found":
        return {"loan_product": None}
    return {"application_phone": None}


async def _institution_of(product_name: str) -> dict[str, Any] | None:
    """The institution (code and name) offering a product: the catalogue names it, the notice's
    institution list gives its code."""
    try:
        catalogue = await backend.products()
        notice = await backend.authorization_notice()
    except (BackendUnavailable, BackendError):
        return None
    product = next((p for p in catalogue if p["name"] == product_name), None)
    if product is None:
        return None
    return next(
        (i for i in notice["institutions"] if i["name"] == product["institution"]["name"]), None
    )
