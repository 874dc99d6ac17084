"""Contract tests for the NLU training data in nlu_data/.

Run with `.venv-bot/bin/pytest tests/nlu`. The data is read with Rasa's own reader, the
same way `rasa train` / `rasa data validate` collect it (every NLU file under nlu_data/;
the jieba dictionary in nlu_data/jieba/ is not training data and is skipped), and it is
tokenized with Rasa's own JiebaTokenizer loading the dictionary folder exactly as the
pipeline does (`dictionary_path: nlu_data/jieba`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "nlu_data"
JIEBA_DIR = NLU_DIR / "jieba"
FAQ_DOMAIN = ROOT / "bot" / "domain" / "faq.yml"
PIPELINE_CONFIG = ROOT / "bot" / "config.yml"
# CI clones the repository with shared/ beside it.
PRODUCT_BRIEF = Path(os.environ.get("PRODUCT_BRIEF", ROOT.parent / "shared" / "PRODUCT.md"))

# The contract of PRODUCT.md ("Intents the NLU must provide", "Entities").
CONTRACT_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "stop",
    "help",
    "bot_challenge",
    "human_handoff",
    "register",
    "authorize",
    "revoke_authorization",
    "query_authorization",
    "credit_check",
    "file_objection",
    "credit_repair",
    "query_progress",
    "ask_products",
    "apply_product",
    "faq",
    "inform",
    "out_of_scope",
)
# Intents beyond the contract (other than faq/<topic> sub-intents) that flows rely on: resume
# picks up a flow left with 算了 (PRODUCT.md). The domain must declare them too.
EXTRA_INTENTS: tuple[str, ...] = ("resume",)
CONTRACT_ENTITIES = (
    "uscc",
    "company_name",
    "person_name",
    "phone",
    "sms_code",
    "product",
    "amount",
    "term",
    "ticket_id",
    "data_category",
)
REQUIRED_REGEXES = ("uscc", "phone", "sms_code", "ticket_id")
REQUIRED_LOOKUPS = ("product", "data_category")

MIN_EXAMPLES_PER_INTENT = 15
MIN_ANNOTATIONS_PER_ENTITY = 3
MIN_FAQ_TOPICS = 10
MIN_EXAMPLES_PER_FAQ_TOPIC = 3
MIN_FAQ_EXAMPLES = 40
MAX_FAQ_ANSWER_CHARS = 200

# Canonical entity values the actions and backend rely on.
PRODUCTS = {"常信贷", "创新贷", "政采贷", "宁创贷", "数字贷", "成长贷", "苏碳融"}
DATA_CATEGORIES = {
    # authorization scope: non-public data
    "纳税",
    "社保",
    "公积金",
    "水电气",
    "不动产",
    "进出口",
    "知识产权",
    "科技研发",
    # self-check record categories: public credit information
    "行政许可",
    "行政处罚",
    "严重失信名单",
    "司法判决及执行",
    "荣誉表彰",
    "纳税信用等级",
}

# GB 32100-2015 统一社会信用代码
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}")
PHONE_SHAPE = re.compile(r"1[3-9]\d{9}")
SMS_CODE_SHAPE = re.compile(r"\d{6}")
TICKET_SHAPE = re.compile(r"(YY|XF|SQ|RG)(\d{8})(\d{4})")


def normalise_code(value: str) -> str:
    """Full-width to half-width, upper case, no spaces or dashes (as the actions do)."""
    value = unicodedata.normalize("NFKC", value).upper()
    return re.sub(r"[\s\-－—]", "", value)


def uscc_check_digit(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    return bool(USCC_SHAPE.fullmatch(code)) and uscc_check_digit(code[:17]) == code[17]


def normalise_text(text: str) -> str:
    """Form used to compare examples: NFKC, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in {"P", "Z", "S"})


def label(message: Any) -> str:
    """Full intent label: `faq/<topic>` for retrieval intents, else the intent."""
    return message.get("intent_response_key") or message.get("intent")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def training_data():
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(NLU_DIR)], is_nlu_file))
    assert files, f"no NLU training files under {NLU_DIR}"
    return TrainingData().merge(*(load_data(f, language="zh") for f in files))


@pytest.fixture(scope="session")
def examples(training_data) -> list[Any]:
    return [m for m in training_data.intent_examples if m.get("text")]


def pipeline_jieba_config() -> dict[str, Any] | None:
    """The JiebaTokenizer entry of the pipeline in bot/config.yml, if there is one."""
    if not PIPELINE_CONFIG.is_file():
        return None
    config = yaml.safe_load(PIPELINE_CONFIG.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == "JiebaTokenizer":
            return component
    return None


@pytest.fixture(scope="session")
def tokenizer():
    """Rasa's JiebaTokenizer configured as in bot/config.yml (defaults until it exists)."""
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    config = {**JiebaTokenizer.get_default_config(), "dictionary_path": str(JIEBA_DIR)}
    settings = pipeline_jieba_config() or {}
    config.update({k: v for k, v in settings.items() if k not in {"name", "dictionary_path"}})
    # Exactly what JiebaTokenizer.create() does with `dictionary_path`.
    JiebaTokenizer._load_custom_dictionary(str(JIEBA_DIR))
    return JiebaTokenizer(config, model_storage=None, resource=None)


@pytest.fixture(scope="session")
def synonyms(training_data) -> dict[str, str]:
    return {k.lower(): v for k, v in training_data.entity_synonyms.items()}


def annotations(examples: list[Any], entity: str | None = None):
    for message in examples:
        for ent in message.get("entities") or []:
            if entity is None or ent["entity"] == entity:
                yield message, ent


def canonical(ent: dict[str, Any], synonyms: dict[str, str]) -> str:
    value = str(ent["value"])
    return synonyms.get(value.lower(), value)


# ---------------------------------------------------------------- intents


def test_contract_matches_product_brief():
    if not PRODUCT_BRIEF.is_file():
        pytest.skip(f"{PRODUCT_BRIEF} not available")
    text = PRODUCT_BRIEF.read_text(encoding="utf-8")
    section = text.split("## Intents the NLU must provide", 1)[1].split("\n## ", 1)[0]
    intents: set[str] = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] not in {"intent", ""} and not cells[0].startswith("-"):
            intents.update(name.strip() for name in cells[0].split(","))
    assert intents == set(CONTRACT_INTENTS)
    entities = set(re.findall(r"`(\w+)`", section.split("Entities:", 1)[1]))
    assert entities == set(CONTRACT_ENTITIES)


def test_every_contract_intent_has_enough_examples(examples):
    counts = Counter(m.get("intent") for m in examples)
    too_few = {i: counts[i] for i in CONTRACT_INTENTS if counts[i] < MIN_EXAMPLES_PER_INTENT}
    assert not too_few, f"intents with fewer than {MIN_EXAMPLES_PER_INTENT} examples: {too_few}"


def test_no_intents_outside_the_contract(examples):
    unknown = {m.get("intent") for m in examples} - set(CONTRACT_INTENTS) - set(EXTRA_INTENTS)
    assert not unknown, f"intents not in the contract (declare them first): {unknown}"


def test_faq_is_a_retrieval_intent_with_enough_topics(examples):
    faq = [m for m in examples if m.get("intent") == "faq"]
    assert all(label(m).startswith("faq/") for m in faq), "faq examples need faq/<topic>"
    topics = Counter(label(m) for m in faq)
    assert len(topics) >= MIN_FAQ_TOPICS, sorted(topics)
    thin = {t: n for t, n in topics.items() if n < MIN_EXAMPLES_PER_FAQ_TOPIC}
    assert not thin, f"faq topics with fewer than {MIN_EXAMPLES_PER_FAQ_TOPIC} examples: {thin}"
    assert len(faq) >= MIN_FAQ_EXAMPLES
    assert not [m for m in examples if m.get("intent") != "faq" and m.get("intent_response_key")]


def test_no_example_under_two_intents(examples):
    seen: dict[str, set[str]] = defaultdict(set)
    raw = Counter()
    for m in examples:
        seen[normalise_text(m.get("text"))].add(label(m))
        raw[m.get("text")] += 1
    clashes = {text: sorted(labels) for text, labels in seen.items() if len(labels) > 1}
    assert not clashes, f"examples under more than one intent: {clashes}"
    duplicates = [text for text, n in raw.items() if n > 1]
    assert not duplicates, f"duplicated examples: {duplicates}"


# ---------------------------------------------------------------- entities


def test_every_contract_entity_is_annotated(examples):
    counts = Counter(ent["entity"] for _, ent in annotations(examples))
    too_few = {e: counts[e] for e in CONTRACT_ENTITIES if counts[e] < MIN_ANNOTATIONS_PER_ENTITY}
    assert not too_few, f"entities annotated fewer than {MIN_ANNOTATIONS_PER_ENTITY}: {too_few}"
    unknown = set(counts) - set(CONTRACT_ENTITIES)
    assert not unknown, f"entities outside the contract: {unknown}"


def test_annotations_align_with_jieba_tokens(examples, tokenizer):
    from rasa.shared.nlu.training_data.message import Message

    from bot.components.chinese_normalizer import TextNormalizer

    normalize = TextNormalizer()  # the pipeline's first step, as in bot/config.yml
    misaligned = []
    for message, ent in annotations(examples):
        text = normalize(message.get("text"))
        tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
        starts = {t.start for t in tokens}
        ends = {t.end for t in tokens}
        if ent["start"] not in starts or ent["end"] not in ends:
            span = text[ent["start"] : ent["end"]]
            shown = "/".join(t.text for t in tokens)
            misaligned.append(f"{text!r}: {ent['entity']}={span!r} tokens {shown}")
    report = "\n".join(misaligned)
    assert not misaligned, f"entity annotations off jieba token boundaries:\n{report}"


def test_annotations_have_no_surrounding_space_or_punctuation(examples):
    bad = [
        (m.get("text"), ent["entity"])
        for m, ent in annotations(examples)
        if normalise_text(m.get("text")[ent["start"]]) == ""
        or normalise_text(m.get("text")[ent["end"] - 1]) == ""
    ]
    assert not bad


def test_uscc_annotations_pass_gb32100_check_digit(examples):
    values = [m.get("text")[e["start"] : e["end"]] for m, e in annotations(examples, "uscc")]
    assert values
    invalid = [v for v in values if not uscc_is_valid(normalise_code(v))]
    assert not invalid, f"USCC values failing the GB 32100 check digit: {invalid}"


def test_uscc_check_digit_implementation():
    # Independently published example: 91350100M000100Y43
    assert uscc_is_valid("91350100M000100Y43")
    assert not uscc_is_valid("91350100M000100Y44")


@pytest.mark.parametrize(
    ("entity", "shape"),
    [("phone", PHONE_SHAPE), ("sms_code", SMS_CODE_SHAPE), ("ticket_id", TICKET_SHAPE)],
)
def test_code_like_annotations_have_the_right_shape(examples, entity, shape):
    values = [normalise_code(e["value"]) for _, e in annotations(examples, entity)]
    wrong = [v for v in values if not shape.fullmatch(v)]
    assert not wrong, f"{entity} values of the wrong shape: {wrong}"


def test_ticket_ids_carry_real_dates(examples):
    for _, ent in annotations(examples, "ticket_id"):
        match = TICKET_SHAPE.fullmatch(normalise_code(ent["value"]))
        assert match, ent["value"]
        datetime.strptime(match.group(2), "%Y%m%d")


def test_products_resolve_to_catalogue_names(examples, synonyms):
    values = {canonical(e, synonyms) for _, e in annotations(examples, "product")}
    assert values <= PRODUCTS, values - PRODUCTS


def test_data_categories_resolve_to_canonical_values(examples, synonyms):
    values = {canonical(e, synonyms) for _, e in annotations(examples, "data_category")}
    assert values <= DATA_CATEGORIES, values - DATA_CATEGORIES


# ---------------------------------------------------------------- regexes, lookups, synonyms


def patterns(training_data, name: str) -> list[re.Pattern[str]]:
    return [re.compile(r["pattern"]) for r in training_data.regex_features if r["name"] == name]


def test_required_regexes_exist_and_compile(training_data):
    names = {r["name"] for r in training_data.regex_features}
    assert set(REQUIRED_REGEXES) <= names
    for name in names:
        assert patterns(training_data, name)


@pytest.mark.parametrize("entity", REQUIRED_REGEXES)
def test_regexes_find_annotated_values_inside_chinese_text(training_data, examples, entity):
    compiled = patterns(training_data, entity)
    for _, ent in annotations(examples, entity):
        value = normalise_code(ent["value"])
        if entity == "ticket_id":
            value = value.upper()
        sentence = f"我的是{value}谢谢"
        found = [m.group(0) for p in compiled for m in p.finditer(sentence)]
        assert value in found, (entity, value, found)


def test_regexes_do_not_fire_inside_longer_codes(training_data):
    phone = patterns(training_data, "phone")
    sms = patterns(training_data, "sms_code")
    ticket = patterns(training_data, "ticket_id")
    uscc = patterns(training_data, "uscc")
    longer = "代码91320400MA2AGYGL3B单号YY202611210001手机139123456789"
    assert not [m for p in sms + phone for m in p.finditer(longer)]
    assert [m.group(0) for p in uscc for m in p.finditer(longer)] == ["91320400MA2AGYGL3B"]
    assert [m.group(0) for p in ticket for m in p.finditer(longer)] == ["YY202611210001"]
    assert [m.group(0) for p in phone for m in p.finditer("手机13912345678验证码482913")] == [
        "13912345678"
    ]
    assert [m.group(0) for p in sms for m in p.finditer("手机13912345678验证码482913")] == [
        "482913"
    ]


def test_uscc_regex_finds_codes_typed_in_groups(training_data):
    uscc = patterns(training_data, "uscc")
    for typed in ("9132 0412 MA25 RT8W 4H", "91320106-MA1QF7LY-5R", "91320400MA2AGYGL3B"):
        sentence = f"信用代码 {typed} 谢谢"
        assert [m.group(0) for p in uscc for m in p.finditer(sentence)] == [typed]
    # a phone number and an SMS code side by side are not a code
    assert not [m for p in uscc for m in p.finditer("手机 13912345678 482913")]


def test_lookup_tables(training_data):
    tables = {t["name"]: t["elements"] for t in training_data.lookup_tables}
    assert set(REQUIRED_LOOKUPS) <= set(tables)
    assert set(tables["product"]) >= PRODUCTS
    assert set(tables["data_category"]) >= DATA_CATEGORIES


def test_synonyms_map_to_canonical_values(training_data):
    required = {
        "常信 贷": "常信贷",
        "常信dai": "常信贷",
        "税务": "纳税",
        "交税": "纳税",
        "纳税信息": "纳税",
        "社保费": "社保",
        "社会保险": "社保",
        "水费": "水电气",
        "电费": "水电气",
        "燃气费": "水电气",
        "房产": "不动产",
    }
    synonyms = training_data.entity_synonyms
    for variant, value in required.items():
        assert synonyms.get(variant) == value, variant
    assert set(synonyms.values()) <= PRODUCTS | DATA_CATEGORIES


# ---------------------------------------------------------------- jieba dictionary


def test_pipeline_loads_this_dictionary():
    if not PIPELINE_CONFIG.is_file():
        pytest.skip(f"{PIPELINE_CONFIG} not written yet")
    config = yaml.safe_load(PIPELINE_CONFIG.read_text(encoding="utf-8")) or {}
    assert config.get("language") == "zh"
    settings = pipeline_jieba_config()
    assert settings, "the pipeline must tokenize with JiebaTokenizer"
    assert (ROOT / settings.get("dictionary_path", "")).resolve() == JIEBA_DIR.resolve()


def test_jieba_userdict_format():
    files = sorted(p for p in JIEBA_DIR.iterdir() if not p.name.startswith("."))
    # JiebaTokenizer loads *every* file in the folder as a dictionary.
    assert [p.name for p in files] == ["userdict.txt"]
    words = []
    for line in files[0].read_text(encoding="utf-8").splitlines():
        parts = line.split()
        assert len(parts) == 3 and parts[1].isdigit(), line
        words.append(parts[0])
    assert len(words) == len(set(words)), "duplicate words in the jieba dictionary"
    for word in ("信易贷", "统一社会信用代码", "常信贷", "异议申诉", "信用修复", "转人工"):
        assert word in words


def test_jieba_keeps_domain_words_whole(tokenizer):
    from rasa.shared.nlu.training_data.message import Message

    for text, word in [
        ("我的统一社会信用代码是多少", "统一社会信用代码"),
        ("我要申请常信贷", "常信贷"),
        ("帮我转人工", "转人工"),
        ("我要做信用修复", "信用修复"),
    ]:
        tokens = [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]
        assert word in tokens, tokens


# ---------------------------------------------------------------- faq answers


@pytest.fixture(scope="session")
def faq_domain() -> dict[str, Any]:
    return yaml.safe_load(FAQ_DOMAIN.read_text(encoding="utf-8"))


def test_faq_domain_declares_the_retrieval_intent(faq_domain):
    assert str(faq_domain["version"]) == "3.1"
    assert "faq" in faq_domain["intents"]


def test_every_faq_topic_has_an_answer(examples, faq_domain):
    topics = {label(m) for m in examples if m.get("intent") == "faq"}
    responses = faq_domain["responses"]
    missing = sorted(t for t in topics if f"utter_{t}" not in responses)
    assert not missing, f"faq topics without utter_<topic> response: {missing}"
    orphans = sorted(r for r in responses if r.removeprefix("utter_") not in topics)
    assert not orphans, f"faq responses without training data: {orphans}"


def test_faq_answers_are_short_chinese_text(faq_domain):
    for name, variants in faq_domain["responses"].items():
        assert variants, name
        for variant in variants:
            text = variant["text"]
            assert 0 < len(text) <= MAX_FAQ_ANSWER_CHARS, (name, len(text))
            assert re.search(r"[\u4e00-\u9fff]", text), name
            assert "  " not in text and "\n" not in text, name
