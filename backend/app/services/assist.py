"""坐席助手: what the caller's words mean (Rasa's /model/parse) and what the hotline agent says
next — the script (话术) for the step the caller is at and the checklist of what is still missing.

The scripts are data (app/console/scripts.yml), checked strictly when the app starts. The console
keeps each call's state itself (the flow and the fields already collected), sends it with every
turn and gets the new state back, so the backend holds no per-call state and a reload of the page
or a second agent's console loses nothing the agent did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any, Self

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.city import CityConfig
from app.core.config import APP_DIR, Settings
from app.errors import AppError

SCRIPTS_PATH = APP_DIR / "console" / "scripts.yml"
# Placeholders a script may use, filled from the city configuration; the clarifying question also
# names the likeliest jobs ({choices}).
PLACEHOLDERS = frozenset({"platform_name", "city_name", "hotline"})
CLARIFY_PLACEHOLDERS = PLACEHOLDERS | {"choices"}
RANKING_SIZE = 3
# Rasa's FallbackClassifier answers this below its threshold; it names no job of its own.
FALLBACK_INTENT = "nlu_fallback"
STOP_INTENT = "stop"
FAQ_INTENT = "faq"


# ------------------------------------------------------------------------------- the scripts


class _Strict(BaseModel):
    # A typo in the scripts file should stop the start-up, not silently drop a step.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    field: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1)
    entities: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    script: str = Field(min_length=1)


class Flow(_Strict):
    title: str = Field(min_length=1)
    intents: tuple[str, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = ()
    done: str = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        fields = [step.field for step in self.steps]
        duplicates = sorted({f for f in fields if fields.count(f) > 1})
        if duplicates:
            raise ValueError(f"{self.title}：事项重复 {'、'.join(duplicates)}")
        return self

    def step(self, field_name: str) -> Step | None:
        return next((s for s in self.steps if s.field == field_name), None)


class ScriptBook(_Strict):
    min_confidence: float = Field(ge=0, le=1)
    clarify: str = Field(min_length=1)
    intent_labels: dict[str, str]
    flows: dict[str, Flow] = Field(min_length=1)
    replies: dict[str, str]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        starters = [intent for flow in self.flows.values() for intent in flow.intents]
        twice = sorted({i for i in starters if starters.count(i) > 1})
        if twice:
            raise ValueError(f"意图开始了多项业务：{'、'.join(twice)}")
        if "default" not in self.replies:
            raise ValueError("replies 缺少 default")
        for text in [self.clarify, *self.all_texts()]:
            allowed = CLARIFY_PLACEHOLDERS if text is self.clarify else PLACEHOLDERS
            unknown = {
                name for _, name, _, _ in Formatter().parse(text) if name is not None
            } - allowed
            if unknown:
                raise ValueError(f"话术里有未知的占位符 {sorted(unknown)}：{text}")
        return self

    def all_texts(self) -> list[str]:
        """Every script but the clarifying question."""
        texts = list(self.replies.values())
        for flow in self.flows.values():
            texts += [flow.done, *(step.script for step in flow.steps)]
        return texts

    def flow_for_intent(self, intent: str | None) -> str | None:
        return next((key for key, flow in self.flows.items() if intent in flow.intents), None)


@lru_cache
def load_script_book(path: Path = SCRIPTS_PATH) -> ScriptBook:
    return ScriptBook.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def render(text: str, city: CityConfig, **extra: str) -> str:
    """A script with the city's names filled in; the folded YAML leaves no stray spaces between
    Chinese sentences."""
    filled = text.format(
        platform_name=city.platform_name, city_name=city.city_name, hotline=city.hotline, **extra
    )
    return filled.replace("， ", "，").replace("。 ", "。").strip()


# ------------------------------------------------------------------------------- understanding


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    text: str


@dataclass(frozen=True)
class Understanding:
    """What Rasa made of one turn."""

    intent: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    entities: tuple[Entity, ...]
    faq_key: str | None = None
    faq_answer: str | None = None


def rasa_unavailable() -> AppError:
    return AppError(
        "rasa_unavailable",
        "语义理解服务暂时不可用，请稍后再试；通话中可以先按业务清单直接询问来电人。",
        503,
    )


async def parse(settings: Settings, text: str) -> dict[str, Any]:
    """Rasa's /model/parse for the text. A short timeout: the agent is on the phone, and an
    unreachable or failing Rasa answers 503 rasa_unavailable rather than hanging the console."""
    params = {"token": settings.rasa_token} if settings.rasa_token else None
    try:
        async with httpx.AsyncClient(timeout=settings.rasa_timeout_seconds) as client:
            response = await client.post(
                f"{settings.rasa_url}/model/parse", json={"text": text}, params=params
            )
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError):
        raise rasa_unavailable() from None
    if not isinstance(body, dict):
        raise rasa_unavailable()
    return body


def understanding_from(body: dict[str, Any]) -> Understanding:
    """The parts of Rasa's answer the console shows. Entities found by two extractors (DIET and
    the regexes) are shown once; the fallback pseudo-intent is left out of the ranking."""
    intent = body.get("intent") or {}
    ranking = tuple(
        (str(entry["name"]), float(entry.get("confidence") or 0.0))
        for entry in body.get("intent_ranking") or []
        if entry.get("name") and entry.get("name") != FALLBACK_INTENT
    )[:RANKING_SIZE]
    text = str(body.get("text") or "")
    seen: set[tuple[str, str]] = set()
    entities: list[Entity] = []
    for entry in body.get("entities") or []:
        key = (str(entry.get("entity")), str(entry.get("value")))
        if key in seen or not entry.get("entity"):
            continue
        seen.add(key)
        start, end = entry.get("start"), entry.get("end")
        span = text[start:end] if isinstance(start, int) and isinstance(end, int) else key[1]
        entities.append(Entity(entity=key[0], value=key[1], text=span))
    faq_key = faq_answer = None
    if intent.get("name") == FAQ_INTENT:
        selected = (body.get("response_selector") or {}).get(FAQ_INTENT) or {}
        response = selected.get("response") or {}
        faq_key = response.get("intent_response_key") or intent.get("full_retrieval_intent_name")
        answers = [r.get("text") for r in response.get("responses") or [] if r.get("text")]
        faq_answer = answers[0] if answers else None
    return Understanding(
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        ranking=ranking,
        entities=tuple(entities),
        faq_key=faq_key,
        faq_answer=faq_answer,
    )


# ------------------------------------------------------------------------------- the next step


@dataclass(frozen=True)
class ChecklistItem:
    field: str
    label: str
    done: bool
    script: str


@dataclass(frozen=True)
class Advice:
    """What the console shows after a turn, and the call's state to send with the next one."""

    flow: str | None
    flow_title: str | None
    collected: tuple[str, ...]
    next_field: str | None
    script: str
    hint: str | None
    checklist: tuple[ChecklistItem, ...]
    done_script: str | None
    switched: bool
    confident: bool
    filled_now: tuple[str, ...] = ()


def _clarify(book: ScriptBook, understanding: Understanding, city: CityConfig) -> str | None:
    labels = [
        book.intent_labels[name] for name, _ in understanding.ranking if name in book.intent_labels
    ]
    if not labels:
        return None
    return render(book.clarify, city, choices="还是".join(f"“{label}”" for label in labels[:2]))


def check_flow(book: ScriptBook, flow: str | None) -> None:
    """The state the console sent names a flow of these scripts (they may have changed since)."""
    if flow is not None and flow not in book.flows:
        raise AppError(
            "flow_unknown",
            "这项业务的话术已经更新，请点“新来电”重新开始本次记录。",
            422,
            fields=["flow_state"],
        )


def advise(
    book: ScriptBook,
    understanding: Understanding,
    *,
    flow: str | None,
    collected: list[str] | tuple[str, ...],
    city: CityConfig,
) -> Advice:
    """The next step of the call after this turn.

    A confident intent that starts a flow switches to it (the new flow's checklist starts empty);
    an unsure one keeps the current flow and suggests asking the caller. The turn's entities tick
    the steps they fill (a USCC fills "统一社会信用代码" wherever it comes); the turn's intent
    ticks only the step the caller was being asked (“同意” answers the risk notice, not a later
    question), and only in a flow that was already under way. 算了 (stop) ends the flow.
    """
    check_flow(book, flow)
    intent = understanding.intent
    confident = intent not in (None, FALLBACK_INTENT) and (
        understanding.confidence >= book.min_confidence
    )
    hint: str | None = None
    reply: str | None = None
    switched = False
    current_flow = flow
    done_fields = set(collected) & {s.field for s in book.flows[flow].steps} if flow else set()

    target = book.flow_for_intent(intent)
    if target is not None and target != flow:
        if confident:
            current_flow, done_fields, switched = target, set(), True
        elif flow is None:
            reply = _clarify(book, understanding, city)
        else:
            hint = _clarify(book, understanding, city)
    elif intent == STOP_INTENT and confident:
        current_flow, done_fields = None, set()
        reply = render(book.replies.get(STOP_INTENT, book.replies["default"]), city)
    elif intent == FAQ_INTENT and confident:
        answer = understanding.faq_answer or render(book.replies.get(FAQ_INTENT, ""), city)
        if flow is None:
            reply = answer
        else:
            hint = answer
    elif confident and intent in book.replies:
        if flow is None:
            reply = render(book.replies[intent], city)
        else:
            hint = render(book.replies[intent], city)
    elif not confident:
        if flow is None:
            reply = _clarify(book, understanding, city)
        else:
            hint = _clarify(book, understanding, city)

    if current_flow is None:
        return Advice(
            flow=None,
            flow_title=None,
            collected=(),
            next_field=None,
            script=reply or render(book.replies["default"], city),
            hint=hint,
            checklist=(),
            done_script=None,
            switched=switched,
            confident=confident,
        )

    spec = book.flows[current_flow]
    before = set(done_fields)
    asked = next((s for s in spec.steps if s.field not in done_fields), None)
    if asked is not None and not switched and intent in asked.intents and confident:
        done_fields.add(asked.field)
    found = {e.entity for e in understanding.entities}
    done_fields |= {s.field for s in spec.steps if found & set(s.entities)}

    checklist = tuple(
        ChecklistItem(s.field, s.label, s.field in done_fields, render(s.script, city))
        for s in spec.steps
    )
    upcoming = next((item for item in checklist if not item.done), None)
    done_script = render(spec.done, city)
    return Advice(
        flow=current_flow,
        flow_title=spec.title,
        collected=tuple(s.field for s in spec.steps if s.field in done_fields),
        next_field=upcoming.field if upcoming else None,
        script=reply or (upcoming.script if upcoming else done_script),
        hint=hint,
        checklist=checklist,
        done_script=done_script,
        switched=switched,
        confident=confident,
        filled_now=tuple(s.field for s in spec.steps if s.field in done_fields - before),
    )
