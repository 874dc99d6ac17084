"""The held-out NLU test set in tests/nlu_heldout/ stays held out, and covers the contract.

`scripts/evaluate_nlu.py` (`make nlu-report`) scores the model on these examples; the number
means something only if none of them is training data. So no held-out example may equal a
training example, a lookup entry or a synonym of nlu_data/, also not after the normalisation the
pipeline does (traditional → simplified, full-width → half-width) plus lower case and without
spaces or punctuation. Near-copies (one character changed) are refused too.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from test_training_data import (
    CONTRACT_ENTITIES,
    CONTRACT_INTENTS,
    DATA_CATEGORIES,
    PRODUCTS,
    annotations,
    canonical,
    label,
    normalise_code,
    tokenizer,  # noqa: F401 (fixture)
    training_data,  # noqa: F401 (fixture)
    uscc_is_valid,
)

ROOT = Path(__file__).resolve().parents[2]
HELDOUT_DIR = ROOT / "tests" / "nlu_heldout"

MIN_HELDOUT_PER_INTENT = 12
MIN_HELDOUT_PER_FAQ_TOPIC = 2
# A held-out text this similar to a training text (difflib ratio, normalised texts of at
# least NEAR_COPY_MIN_CHARS characters) is a copy with a character changed, not a new example.
NEAR_COPY_RATIO = 0.9
NEAR_COPY_MIN_CHARS = 6


@pytest.fixture(scope="module")
def comparable():
    """strip, lower case, t2s, half-width, no punctuation, symbols or spaces."""
    from bot.components.chinese_normalizer import TextNormalizer

    normalize = TextNormalizer()

    def form(text: str) -> str:
        text = unicodedata.normalize("NFKC", normalize(text.strip())).lower()
        return "".join(ch for ch in text if unicodedata.category(ch)[0] not in {"P", "Z", "S", "C"})

    return form


@pytest.fixture(scope="module")
def heldout_data():
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(HELDOUT_DIR)], is_nlu_file))
    assert files, f"no held-out NLU files under {HELDOUT_DIR}"
    return TrainingData().merge(*(load_data(f, language="zh") for f in files))


@pytest.fixture(scope="module")
def heldout(heldout_data) -> list[Any]:
    return [m for m in heldout_data.intent_examples if m.get("text")]


@pytest.fixture(scope="module")
def heldout_synonyms(training_data) -> dict[str, str]:  # noqa: F811
    return {k.lower(): v for k, v in training_data.entity_synonyms.items()}


def test_heldout_files_hold_examples_only(heldout_data):
    assert not heldout_data.regex_features
    assert not heldout_data.lookup_tables


def test_no_heldout_example_is_training_data(heldout, training_data, comparable):  # noqa: F811
    seen: dict[str, str] = {}
    for message in training_data.training_examples:
        if message.get("text"):
            seen[comparable(message.get("text"))] = f"example {message.get('text')!r}"
    for table in training_data.lookup_tables:
        for element in table["elements"]:
            seen[comparable(element)] = f"lookup {table['name']} entry {element!r}"
    for variant, value in training_data.entity_synonyms.items():
        seen[comparable(variant)] = f"synonym {variant!r} of {value!r}"
        seen[comparable(value)] = f"synonym value {value!r}"
    leaked = [
        f"{m.get('text')!r} is {seen[comparable(m.get('text'))]}"
        for m in heldout
        if comparable(m.get("text")) in seen
    ]
    assert not leaked, "held-out examples found in nlu_data/:\n" + "\n".join(leaked)


def test_no_heldout_example_is_a_near_copy_of_training_data(heldout, training_data, comparable):  # noqa: F811
    train = {comparable(m.get("text")) for m in training_data.training_examples if m.get("text")}
    near = []
    for message in heldout:
        text = comparable(message.get("text"))
        if len(text) < NEAR_COPY_MIN_CHARS:
            continue
        for other in train:
            matcher = SequenceMatcher(None, text, other, autojunk=False)
            if matcher.real_quick_ratio() >= NEAR_COPY_RATIO and matcher.ratio() >= NEAR_COPY_RATIO:
                near.append(f"{message.get('text')!r} ~ training {other!r}")
    assert not near, "held-out examples nearly equal to training examples:\n" + "\n".join(near)


def test_heldout_examples_are_unique_and_under_one_label(heldout, comparable):
    labels: dict[str, set[str]] = defaultdict(set)
    for message in heldout:
        labels[comparable(message.get("text"))].add(label(message))
    counts = Counter(comparable(m.get("text")) for m in heldout)
    duplicates = sorted(text for text, n in counts.items() if n > 1)
    assert not duplicates, f"duplicated held-out examples: {duplicates}"
    clashes = {text: sorted(ls) for text, ls in labels.items() if len(ls) > 1}
    assert not clashes, clashes


def test_every_contract_intent_is_covered(heldout):
    counts = Counter(m.get("intent") for m in heldout)
    thin = {i: counts[i] for i in CONTRACT_INTENTS if counts[i] < MIN_HELDOUT_PER_INTENT}
    assert not thin, f"contract intents with fewer than {MIN_HELDOUT_PER_INTENT}: {thin}"
    unknown = set(counts) - set(CONTRACT_INTENTS)
    assert not unknown, f"held-out intents outside the contract: {unknown}"


def test_every_faq_topic_is_covered(heldout, training_data):  # noqa: F811
    trained = {label(m) for m in training_data.intent_examples if m.get("intent") == "faq"}
    faq = [m for m in heldout if m.get("intent") == "faq"]
    assert all(label(m).startswith("faq/") for m in faq), "faq examples need faq/<topic>"
    counts = Counter(label(m) for m in faq)
    unknown = set(counts) - trained
    assert not unknown, f"held-out faq topics the model has no answer for: {unknown}"
    thin = {t: counts[t] for t in trained if counts[t] < MIN_HELDOUT_PER_FAQ_TOPIC}
    assert not thin, f"faq topics with fewer than {MIN_HELDOUT_PER_FAQ_TOPIC}: {thin}"


def test_heldout_entities_follow_the_training_conventions(heldout, heldout_synonyms):
    entities = Counter(ent["entity"] for _, ent in annotations(heldout))
    assert set(entities) <= set(CONTRACT_ENTITIES), set(entities) - set(CONTRACT_ENTITIES)
    products = {canonical(e, heldout_synonyms) for _, e in annotations(heldout, "product")}
    assert products <= PRODUCTS, products - PRODUCTS
    categories = {canonical(e, heldout_synonyms) for _, e in annotations(heldout, "data_category")}
    assert categories <= DATA_CATEGORIES, categories - DATA_CATEGORIES
    codes = [m.get("text")[e["start"] : e["end"]] for m, e in annotations(heldout, "uscc")]
    invalid = [c for c in codes if not uscc_is_valid(normalise_code(c))]
    assert not invalid, f"USCC values failing the GB 32100 check digit: {invalid}"


def test_heldout_annotations_align_with_jieba_tokens(heldout, tokenizer):  # noqa: F811
    from rasa.shared.nlu.training_data.message import Message

    from bot.components.chinese_normalizer import TextNormalizer

    normalize = TextNormalizer()
    misaligned = []
    for message, ent in annotations(heldout):
        text = normalize(message.get("text"))
        tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
        if ent["start"] not in {t.start for t in tokens} or ent["end"] not in {
            t.end for t in tokens
        }:
            shown = "/".join(t.text for t in tokens)
            misaligned.append(f"{text!r}: {ent['entity']} tokens {shown}")
    assert not misaligned, "annotations off jieba token boundaries:\n" + "\n".join(misaligned)
