"""The first step of the NLU pipeline: traditional → simplified, full-width → half-width."""

from __future__ import annotations

import pytest

from bot.components.chinese_normalizer import TextNormalizer, to_half_width


@pytest.fixture(scope="module")
def normalize() -> TextNormalizer:
    return TextNormalizer()


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("我想查詢一下信用", "我想查询一下信用"),
        ("異議申訴怎麼辦理", "异议申诉怎么办理"),
        ("國辦發〔2021〕52號", "国办发〔2021〕52号"),
        ("代碼是９１３２９９０１ＭＡ１ＧＹ００１７Ｘ", "代码是91329901MA1GY0017X"),
        ("手機１３８１２３４５６７８　謝謝", "手机13812345678 谢谢"),
        ("我想查一下我们公司的信用", "我想查一下我们公司的信用"),
    ],
)
def test_normalizes(normalize: TextNormalizer, raw: str, normalized: str):
    assert normalize(raw) == normalized


def test_keeps_every_character_in_place(normalize: TextNormalizer):
    # Entity annotations are character offsets into the original text.
    for text in ("乾淨的發票", "髮廊後面", "ＡＢＣ，１２３！"):
        assert len(normalize(text)) == len(text)


def test_half_width_leaves_chinese_punctuation_that_has_no_ascii_twin():
    assert to_half_width("〔〕、。") == "〔〕、。"


def test_typed_entity_values_are_normalised_with_the_text_and_synonyms_kept():
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.components.chinese_normalizer import ChineseTextNormalizer

    typed = Message(
        data={
            "text": "单号ｙｙ２０２６１１２１０００１",
            "intent": "inform",
            "entities": [
                {
                    "start": 2,
                    "end": 16,
                    "value": "ｙｙ２０２６１１２１０００１",
                    "entity": "ticket_id",
                }
            ],
        }
    )
    synonym = Message(
        data={
            "text": "申請數字貸",
            "intent": "apply_product",
            "entities": [{"start": 2, "end": 5, "value": "数字贷", "entity": "product"}],
        }
    )
    ChineseTextNormalizer().process_training_data(TrainingData([typed, synonym]))
    assert typed.get("text") == "单号yy202611210001"
    assert typed.get("entities")[0]["value"] == "yy202611210001"
    assert synonym.get("text") == "申请数字贷"
    assert synonym.get("entities")[0]["value"] == "数字贷"
