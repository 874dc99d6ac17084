"""Normalises Chinese text before jieba sees it: traditional → simplified, full-width → half-width.

Users write 我想查詢信用, or type ９１３２…ＭＡ on a phone keyboard. The model is trained on
both, but normalised text shares words with the bulk of the training data, and the regexes
(USCC, phone, SMS code) only match half-width characters. The mapping is character for
character, so the entity offsets annotated in the training data stay valid.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import opencc
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

FULL_WIDTH_OFFSET = 0xFEE0  # "！" (U+FF01) … "～" (U+FF5E) → "!" … "~"
IDEOGRAPHIC_SPACE = "\u3000"


def to_half_width(text: str) -> str:
    return "".join(
        " "
        if char == IDEOGRAPHIC_SPACE
        else chr(ord(char) - FULL_WIDTH_OFFSET)
        if "\uff01" <= char <= "\uff5e"
        else char
        for char in text
    )


class TextNormalizer:
    def __init__(self) -> None:
        self._t2s = opencc.OpenCC("t2s")

    def __call__(self, text: str) -> str:
        simplified = self._t2s.convert(text)
        if len(simplified) != len(text):
            # A phrase rule changed the length: convert character by character instead, so offsets
            # of entity annotations still point at the same characters.
            simplified = "".join(self._t2s.convert(char) or char for char in text)
        return to_half_width(simplified)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    """Put first in the pipeline, before JiebaTokenizer."""

    def __init__(self) -> None:
        self._normalize = TextNormalizer()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        return cls()

    @staticmethod
    def required_packages() -> list[str]:
        return ["opencc"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """This file's code shapes the training data: a change must not reuse Rasa's cache."""
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if text:
            message.set(TEXT, self._normalize(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            raw = example.get(TEXT)
            self._normalize_message(example)
            if raw:
                self._normalize_entity_values(example, raw)
        return training_data

    @staticmethod
    def _normalize_entity_values(example: Message, raw: str) -> None:
        """An annotated value that is just the typed text follows the text into its normal form.

        Otherwise EntitySynonymMapper learns `yy2026… → ｙｙ２０２６…` from an annotation
        `[ｙｙ２０２６…](ticket_id)` and hands full-width values back for half-width input.
        Explicit values (synonyms) stay as they are.
        """
        text = example.get(TEXT)
        for entity in example.get(ENTITIES) or []:
            start, end = entity.get("start"), entity.get("end")
            if start is None or end is None or entity.get("value") != raw[start:end]:
                continue
            entity["value"] = text[start:end]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize_message(message)
        return messages
