"""授权: consent to sharing the enterprise's non-public credit data, and listing / revoking it.

The form shows the risk notice (its key points and version, within WeChat's 2,048 bytes), asks the
scope — data categories, institutions, period — and records consent only for the word 同意:
a casual 好的/嗯 is not consent to a risk notice.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import CHINA, WECHAT_MAX_BYTES, channel_of, china_time, date_text
from actions.forms import FlowFormValidation, delivery_key
from actions.products import normalized, parse_months, submit_application
from actions.registration import registered_enterprise

ALL = "all"
CONSENT = "同意"
REFUSAL = "不同意"
_ALL_WORDS = ("全部", "所有", "都授权", "全都", "全选", "都可以", "都行")
# Colloquial words for the backend's canonical data categories, for answers the NLU did not
# annotate (typed lists, button titles); the NLU's synonyms cover the same ground for entities.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "纳税": ("纳税", "税", "納稅"),
    "社保": ("社保", "社会保险", "社會保險"),
    "公积金": ("公积金", "公積金"),
    "水电气": ("水电", "水費", "水费", "电费", "燃气", "煤气", "水電"),
    "不动产": ("不动产", "房产", "房屋", "土地", "不動產"),
    "进出口": ("进出口", "进口", "出口", "海关", "進出口"),
    "知识产权": ("知识产权", "专利", "商标", "知識產權"),
    "科技研发": ("科技研发", "研发", "科技", "研發"),
}
# Short names people use for banks: 工行 for 中国工商银行 …
_INSTITUTION_ABBREVIATIONS = {
    "工行": "工商银行",
    "建行": "建设银行",
    "农行": "农业银行",
    "中行": "中国银行",
    "交行": "交通银行",
    "农商行": "农村商业银行",
    "农商银行": "农村商业银行",
    "担保公司": "融资担保",
}
_CONSENT = re.compile(r"^(?:我|本人|我们)?(?:已阅读(?:并)?)?同意(?:授权)?$")
_NOISE = re.compile(r"[\s。．.!！~～,，、“”\"'「」]+")


def months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def notice_key_points(notice: dict[str, Any], budget: int) -> str:
    """The notice in full when it fits in `budget` bytes, else its title, version and the first
    sentence of every point of the risks, protections and rights (二、三、四), fewer if need be."""
    full = f"{notice['text'].strip()}\n（告知书版本：{notice['version']}）".replace("# ", "", 1)
    if len(full.encode()) <= budget:
        return full
    sections: list[tuple[str, list[str]]] = []
    for line in notice["text"].splitlines():
        line = line.strip()
        if re.match(r"^[二三四五六七八九]、", line):
            sections.append((line, []))
        elif sections and (point := re.match(r"^\d+[.．、]\s*(.+?。)", line)):
            sections[-1][1].append(point.group(1))
    title = notice.get("title") or "风险告知书"
    for kept in (len(sections), 2, 1):
        lines = [f"【{title}】要点（版本 {notice['version']}）"]
        for heading, points in sections[:kept]:
            lines.append(heading)
            lines += [f"{n}. {p}" for n, p in enumerate(points, 1)]
        text = "\n".join(lines)
        if len(text.encode()) <= budget:
            return text
    return text.encode()[:budget].decode(errors="ignore")


def categories_in(tracker: Tracker, value: Any, known: list[str]) -> list[str] | str | None:
    """ALL, the canonical categories named (entities first, then words in the text), or None."""
    values = value if isinstance(value, list) else [value]
    text = normalized(" ".join(str(v) for v in values if v))
    if any(word in text for word in _ALL_WORDS):
        return ALL
    found = [v for v in tracker.get_latest_entity_values("data_category") if v in known]
    found += [
        category
        for category in known
        if any(word in text for word in CATEGORY_WORDS.get(category, (category,)))
    ]
    return sorted(set(found), key=known.index) or None


def institution_keys(institution: dict[str, Any]) -> list[str]:
    """What a user may call an institution: its name, and its name without the city, 中国,
    分行 or 有限公司 (中国工商银行示范市分行 → 工商银行)."""
    name = institution["name"]
    core = re.sub(r"^中国(?=.+银行)", "", name)
    core = re.sub(r"^[\u4e00-\u9fff]{1,4}市(?!场)", "", core)
    core = re.sub(r"[\u4e00-\u9fff]{1,4}市分行$|分行$|有限公司$|股份有限公司$", "", core)
    return [key for key in {name, core} if len(key) >= 2]


def expanded(text: Any) -> str:
    """The text with short bank names spelled out (工行 → 工商银行)."""
    text = normalized(text)
    for short, long in _INSTITUTION_ABBREVIATIONS.items():
        text = text.replace(short, long)
    return text


def institutions_in(
    tracker: Tracker, text: str, institutions: list[dict[str, Any]], products: list[dict]
) -> list[str] | str | None:
    """ALL, the codes of the institutions named (or of the products named), or None."""
    text = expanded(text)
    if any(word in text for word in _ALL_WORDS):
        return ALL
    codes = [i["code"] for i in institutions if any(k in text for k in institution_keys(i))]
    named = {str(v) for v in tracker.get_latest_entity_values("product")}
    for product in products:
        if product["name"] in named or product["name"] in text:
            codes += [
                i["code"] for i in institutions if i["name"] == product["institution"]["name"]
            ]
    return sorted(set(codes), key=[i["code"] for i in institutions].index) or None


def scope_text(categories: list[str] | str, institutions: str, notice: dict[str, Any]) -> str:
    category_text = (
        "全部类别（" + "、".join(c["category"] for c in notice["data_categories"]) + "）"
        if categories == ALL
        else "、".join(categories)
    )
    return f"· 数据类别：{category_text}\n· 机构：{institutions}"


def institutions_text(chosen: list[str] | str, notice: dict[str, Any]) -> str:
    if chosen == ALL:
        return f"平台全部接入机构（{len(notice['institutions'])}家）"
    names = {i["code"]: i["name"] for i in notice["institutions"]}
    return "、".join(names.get(code, code) for code in chosen)


async def current_notice(dispatcher: CollectingDispatcher) -> dict[str, Any] | None:
    try:
        return await backend.authorization_notice()
    except BackendUnavailable:
        dispatcher.utter_message(response="utter_backend_unavailable")
    except BackendError as error:
        dispatcher.utter_message(text=error.message)
    return None


class ActionAskAuthCategories(Action):
    """The first question of the form: the risk notice first, then which data categories."""

    def name(self) -> str:
        return "action_ask_auth_categories"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        notice = await current_notice(dispatcher)
        if notice is None:
            return []
        question = (
            "\n\n请选择授权共享的数据类别（可多选，如“纳税和社保”，或“全部”）。"
            "随时可以说“算了”暂停。"
        )
        budget = WECHAT_MAX_BYTES - len(question.encode())
        categories = [c["category"] for c in notice["data_categories"]]
        dispatcher.utter_message(
            text=notice_key_points(notice, budget) + question,
            buttons=[
                {"title": "全部类别", "payload": "全部"},
                *({"title": c, "payload": c} for c in categories),
            ],
        )
        events = [SlotSet("auth_notice_version", notice["version"])]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("pending_application") and intent == "authorize":
            # An authorization the user starts afresh: an application left waiting for an
            # earlier one (hand-off, another job) is not sent behind their back.
            events += [SlotSet(slot, value) for slot, value in APPLICATION_CLEARED.items()]
        return events


def institution_payload(institution: dict[str, Any] | str) -> str:
    """A button's payload naming the institution as an entity: a bank's name typed alone reads
    to the NLU much like a question about which banks there are."""
    value = "全部" if institution == ALL else institution["name"]
    return "/inform" + json.dumps({"institution": value}, ensure_ascii=False)


class ActionAskAuthInstitutions(Action):
    def name(self) -> str:
        return "action_ask_auth_institutions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        notice = await current_notice(dispatcher)
        if notice is None:
            return []
        institutions = notice["institutions"]
        suggested = next(
            (
                i
                for i in institutions
                if i["code"] == tracker.get_slot("auth_suggested_institution")
            ),
            None,
        )
        names = "、".join(i["name"] for i in institutions)
        text = f"授权给哪些机构？平台接入机构有：{names}。可以选“全部接入机构”，或说出机构名称。"
        buttons = [{"title": "全部接入机构", "payload": institution_payload(ALL)}]
        if suggested:
            text = f"您申请的产品由{suggested['name']}提供，授权需包含这家机构。" + text
            buttons.insert(
                0, {"title": f"仅{suggested['name']}", "payload": institution_payload(suggested)}
            )
        else:
            buttons += [
                {"title": i["name"], "payload": institution_payload(i)} for i in institutions
            ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAskAuthConsent(Action):
    """Everything the consent covers, then the explicit question: reply 同意."""

    def name(self) -> str:
        return "action_ask_auth_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        notice = await current_notice(dispatcher)
        if notice is None:
            return []
        events: list[EventType] = []
        if tracker.get_slot("auth_notice_version") != notice["version"]:
            # The notice changed (or was never shown): consent is only to a notice the user saw.
            dispatcher.utter_message(text=notice_key_points(notice, WECHAT_MAX_BYTES))
            events.append(SlotSet("auth_notice_version", notice["version"]))
        months = int(tracker.get_slot("auth_period") or notice["default_period_months"])
        until = months_later(datetime.now(CHINA).date(), months)
        institutions = institutions_text(tracker.get_slot("auth_institutions"), notice)
        dispatcher.utter_message(
            text=(
                "请确认授权内容：\n"
                + scope_text(tracker.get_slot("auth_categories"), institutions, notice)
                + f"\n· 期限：{months}个月（至{date_text(until)}）"
                + f"\n· 风险告知书：版本 {notice['version']}\n"
                "如您已阅读风险告知书，同意按以上范围授权，请回复“同意”；不想授权请回复“不同意”。"
            ),
            buttons=[
                {"title": "同意", "payload": CONSENT},
                {"title": "不同意", "payload": REFUSAL},
            ],
        )
        return events


class ValidateAuthorizationForm(FlowFormValidation):
    slot_hints: ClassVar[dict[str, str]] = {
        "auth_categories": (
            "可选类别：纳税、社保、公积金、水电气、不动产、进出口、知识产权、科技研发，或说“全部”"
        ),
        "auth_institutions": "请说“全部接入机构”，或银行名称，例如“农商行”“建设银行”",
        "auth_period": "期限请说年或月，例如“1年”“6个月”，最长3年",
        "auth_consent": "授权必须由您明确回复“同意”两个字（或点“同意”按钮）",
    }

    def name(self) -> str:
        return "validate_authorization_form"

    async def validate_auth_categories(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        notice = await current_notice(dispatcher)
        if notice is None:
            return {"auth_categories": None}
        known = [c["category"] for c in notice["data_categories"]]
        found = categories_in(tracker, value, known)
        if found is None:
            return self.reject(
                dispatcher,
                "auth_categories",
                "没找到您说的数据类别。可授权的有：" + "、".join(known) + "，也可以说“全部”。",
            )
        return self.accept("auth_categories", found)

    async def validate_auth_institutions(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            notice = await backend.authorization_notice()
            products = await backend.products()
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"auth_institutions": None}
        said = next(tracker.get_latest_entity_values("institution"), None) or value
        found = institutions_in(tracker, str(said), notice["institutions"], products)
        if found is None:
            names = "、".join(i["name"] for i in notice["institutions"])
            return self.reject(
                dispatcher,
                "auth_institutions",
                f"没找到这家机构。平台接入机构有：{names}，也可以说“全部”。",
            )
        return self.accept("auth_institutions", found)

    async def validate_auth_period(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalized(next(tracker.get_latest_entity_values("term"), None) or value)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        months = parse_months(text)
        if months is None and (
            intent == "affirm" or any(word in text for word in ("默认", "好", "行", "可以", "嗯"))
        ):
            months = 12
        if months is None or not 1 <= months <= 36:
            return self.reject(
                dispatcher, "auth_period", "授权期限可选1个月至3年，例如“1年”“6个月”。"
            )
        return self.accept("auth_period", months)

    async def validate_auth_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _NOISE.sub("", normalized(value))
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if _CONSENT.match(text):
            return self.accept("auth_consent", CONSENT)
        if REFUSAL in text or "不授权" in text or intent == "deny":
            return self.accept("auth_consent", REFUSAL)
        return self.reject(
            dispatcher,
            "auth_consent",
            "为保障贵企业的权益，授权需要您明确回复“同意”两个字（或点“同意”按钮）；"
            "不想授权请回复“不同意”。",
        )

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        pending = bool(tracker.get_slot("pending_application"))
        if tracker.get_slot("auth_consent") != CONSENT:
            if pending:
                dispatcher.utter_message(
                    text="好的，本次不授权，也没有记录任何授权。没有授权，银行无法受理贷款申请，"
                    "申请暂未提交；需要时说“申请贷款”即可重新办理。"
                )
                return {**APPLICATION_CLEARED, "auth_suggested_institution": None}
            dispatcher.utter_message(text="好的，本次不授权，也没有记录任何授权。")
            return {"auth_suggested_institution": None}
        enterprise = await registered_enterprise(dispatcher, tracker)
        if enterprise is None:
            return {}
        authorization = {
            "consent": CONSENT,
            "notice_version": tracker.get_slot("auth_notice_version") or "",
            "data_categories": await self._categories(tracker),
            "institutions": tracker.get_slot("auth_institutions"),
            "period_months": int(tracker.get_slot("auth_period")),
        }
        try:
            granted = await backend.create_authorization(
                enterprise["id"],
                authorization,
                channel_of(tracker),
                tracker.sender_id,
                delivery_key(tracker, "authorization"),
            )
        except BackendUnavailable:
            dispatcher.utter_message(
                text="抱歉，平台服务暂时不可用，授权还没有完成。请稍后再回复一次“同意”重试，"
                "或说“转人工”。"
            )
            return {"auth_consent": None}
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            if error.code in ("institutions_invalid", "institution_unknown"):
                return {"auth_institutions": None, "auth_consent": None}
            # notice_outdated and the rest: the consent question shows the current notice again.
            return {"auth_consent": None, "auth_notice_version": None}
        dispatcher.utter_message(text=granted_text(granted))
        changes: dict[str, Any] = {"auth_notice_version": None, "auth_suggested_institution": None}
        if pending:
            # The application that was waiting for this authorization goes out now.
            changes |= await submit_application(dispatcher, tracker)
            if changes.get("pending_application"):
                dispatcher.utter_message(
                    text="这次授权的机构不包括该产品的银行，申请暂未提交。"
                    "请再次授权该银行后重新申请。"
                )
            changes |= APPLICATION_CLEARED
        return changes

    @staticmethod
    async def _categories(tracker: Tracker) -> list[str]:
        chosen = tracker.get_slot("auth_categories")
        if chosen != ALL:
            return list(chosen)
        notice = await backend.authorization_notice()
        return [c["category"] for c in notice["data_categories"]]


# The application's answers, emptied once it is submitted (or given up) from the authorization.
APPLICATION_CLEARED: dict[str, Any] = {
    "pending_application": False,
    "loan_product": None,
    "loan_amount": None,
    "loan_term": None,
    "loan_purpose": None,
    "application_phone": None,
}


def granted_text(granted: dict[str, Any]) -> str:
    institutions = (
        "平台全部接入机构"
        if granted["all_institutions"]
        else "、".join(i["name"] for i in granted["institutions"])
    )
    return (
        f"授权成功（授权编号 {granted['id']}）。\n"
        f"· 数据类别：{'、'.join(granted['data_categories'])}\n"
        f"· 机构：{institutions}\n"
        f"· 有效期至：{date_text(china_time(granted['expires_at']).date())}\n"
        "未授权的机构只能看到公开信息。可随时说“查看授权”或“撤回授权”。"
    )


def authorization_line(number: int, item: dict[str, Any]) -> str:
    institutions = (
        "全部接入机构"
        if item["all_institutions"]
        else "、".join(i["name"] for i in item["institutions"])
    )
    if item["status"] == "有效":
        until = f"有效期至{date_text(china_time(item['expires_at']).date())}"
    elif item.get("revoked_at"):
        until = f"{date_text(china_time(item['revoked_at']).date())}撤回"
    else:
        until = f"{date_text(china_time(item['expires_at']).date())}到期"
    return (
        f"{number}. 【{item['status']}】{'、'.join(item['data_categories'])} → {institutions}，"
        f"{until}（编号 {item['id']}）"
    )


async def enterprise_authorizations(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    enterprise = await registered_enterprise(dispatcher, tracker)
    if enterprise is None:
        return None
    try:
        items = await backend.list_authorizations(
            enterprise["id"], channel_of(tracker), tracker.sender_id
        )
    except BackendUnavailable:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return None
    return enterprise, items


class ActionListAuthorizations(Action):
    SHOWN = 8

    def name(self) -> str:
        return "action_list_authorizations"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = await enterprise_authorizations(dispatcher, tracker)
        if found is None:
            return []
        _, items = found
        if not items:
            dispatcher.utter_message(
                text="贵企业目前还没有任何授权，接入机构只能看到公开信息。需要时说“我要授权”即可。",
                buttons=[{"title": "我要授权", "payload": "/authorize"}],
            )
            return []
        # Live ones first: those are what institutions can use now.
        ordered = sorted(items, key=lambda item: item["status"] != "有效")
        active = sum(item["status"] == "有效" for item in items)
        lines = [f"贵企业共有{len(items)}项授权，其中{active}项有效："]
        lines += [authorization_line(n, item) for n, item in enumerate(ordered[: self.SHOWN], 1)]
        if len(items) > self.SHOWN:
            lines.append(f"（另有{len(items) - self.SHOWN}项较早的已失效授权未列出）")
        buttons = [{"title": "新增授权", "payload": "/authorize"}]
        if active:
            buttons.insert(0, {"title": "撤回授权", "payload": "/revoke_authorization"})
        dispatcher.utter_message(text="\n".join(lines)[: WECHAT_MAX_BYTES // 3], buttons=buttons)
        return []


class ActionRevokeAuthorization(Action):
    """Which authorization to revoke: the one named (button, institution or category in the
    message) or the only live one; then asks to confirm. Several: lists them as buttons."""

    def name(self) -> str:
        return "action_revoke_authorization"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidate = tracker.get_slot("revoke_candidate")
        picked = next(tracker.get_latest_entity_values("authorization_id"), None)
        text = normalized(tracker.latest_message.get("text"))
        if candidate and picked is None:
            # A typed answer to the confirmation ("确认撤回", "不撤回") reads as this intent again.
            if re.search(r"不撤|不要撤|别撤|先不|不用撤", text):
                dispatcher.utter_message(text="好的，授权保持不变。")
                return [SlotSet("revoke_candidate", None)]
            if re.search(r"确认|确定", text):
                return await revoke(dispatcher, tracker, candidate)
        found = await enterprise_authorizations(dispatcher, tracker)
        if found is None:
            return [SlotSet("revoke_candidate", None)]
        _, items = found
        active = [item for item in items if item["status"] == "有效"]
        if not active:
            dispatcher.utter_message(text="贵企业目前没有有效的授权，无需撤回。")
            return [SlotSet("revoke_candidate", None)]
        chosen = self._chosen(tracker, active)
        if chosen is None:
            lines = ["贵企业有以下有效授权，请选择要撤回的一项："]
            lines += [authorization_line(n, item) for n, item in enumerate(active, 1)]
            dispatcher.utter_message(
                text="\n".join(lines)[: WECHAT_MAX_BYTES // 3],
                buttons=[
                    {
                        "title": f"撤回第{n}项",
                        "payload": f'/revoke_authorization{{"authorization_id":"{item["id"]}"}}',
                    }
                    for n, item in enumerate(active[:8], 1)
                ],
            )
            return [SlotSet("revoke_candidate", None)]
        dispatcher.utter_message(
            text="确认撤回这项授权吗？撤回后，相关机构不能再查询贵企业的这些非公开信息。\n"
            + authorization_line(1, chosen)[3:],
            buttons=[
                {"title": "确认撤回", "payload": "/affirm"},
                {"title": "不撤回", "payload": "/deny"},
            ],
        )
        return [SlotSet("revoke_candidate", str(chosen["id"]))]

    @staticmethod
    def _chosen(tracker: Tracker, active: list[dict[str, Any]]) -> dict[str, Any] | None:
        wanted = next(tracker.get_latest_entity_values("authorization_id"), None)
        if wanted is not None:
            return next((item for item in active if str(item["id"]) == str(wanted)), None)
        if len(active) == 1:
            return active[0]
        text = expanded(tracker.latest_message.get("text"))
        named = [
            item
            for item in active
            if any(key in text for i in item["institutions"] for key in institution_keys(i))
            and not item["all_institutions"]
        ] or [
            item
            for item in active
            if any(
                word in text
                for category in item["data_categories"]
                for word in CATEGORY_WORDS.get(category, (category,))
            )
        ]
        return named[0] if len(named) == 1 else None


class ActionConfirmRevoke(Action):
    def name(self) -> str:
        return "action_confirm_revoke"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidate = tracker.get_slot("revoke_candidate")
        if not candidate:
            dispatcher.utter_message(text="请先选择要撤回的授权，说“撤回授权”可以重新选择。")
            return []
        return await revoke(dispatcher, tracker, candidate)


async def revoke(
    dispatcher: CollectingDispatcher, tracker: Tracker, candidate: str
) -> list[EventType]:
    """Revokes the authorization the user confirmed."""
    enterprise = await registered_enterprise(dispatcher, tracker)
    if enterprise is None:
        return [SlotSet("revoke_candidate", None)]
    try:
        revoked = await backend.revoke_authorization(
            enterprise["id"], int(candidate), channel_of(tracker), tracker.sender_id
        )
    except BackendUnavailable:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return [SlotSet("revoke_candidate", None)]
    except BackendError as error:
        dispatcher.utter_message(text=error.message)
        return [SlotSet("revoke_candidate", None)]
    dispatcher.utter_message(
        text=f"已撤回授权（编号 {revoked['id']}）。撤回后，相关机构不能再查询贵企业的这些"
        "非公开信息；撤回前已查询的结果可能已被机构留存。需要时可以随时重新授权。"
    )
    return [SlotSet("revoke_candidate", None)]


class ActionCancelRevoke(Action):
    def name(self) -> str:
        return "action_cancel_revoke"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text="好的，授权保持不变。")
        return [SlotSet("revoke_candidate", None)]
