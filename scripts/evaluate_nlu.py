"""Scores a trained model on the held-out NLU test set and writes docs/nlu-report.md.

Run in the bot environment (`make nlu-report`, or `.venv-bot/bin/python scripts/evaluate_nlu.py
--help`). Every held-out example of tests/nlu_heldout/ is parsed by the model with Rasa's own
evaluation loop (`rasa.nlu.test.get_eval_data`, what `rasa test nlu` runs), and scored with
Rasa's own reports:

- intents: `evaluate_intents` (sklearn over the test labels; faq counts as one intent). Like
  `rasa test nlu`, this undoes the FallbackClassifier so that a low-confidence but right intent
  counts as right and the classifier is scored on its own. The report also shows the deployed
  view, where every nlu_fallback is a miss;
- faq: `evaluate_response_selections` (the ResponseSelector's faq/<topic> for the faq examples);
- entities: exact matches on the entities the actions receive (all extractors, synonyms mapped):
  a prediction is right when type, start, end and value equal the annotation. Stricter than
  Rasa's token-level entity report, whose weighted F1 per extractor is shown for reference.

The same script scores any model on the same split (`--model`, `--report`), for benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import unicodedata
import warnings
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models" / "current.tar.gz"
DEFAULT_DATA = ROOT / "tests" / "nlu_heldout"
DEFAULT_REPORT = ROOT / "docs" / "nlu-report.md"
TARGET_MACRO_F1 = 0.95
# What scripts/train_model.sh hashes, and the held-out set.
MODEL_INPUTS = ("bot/config.yml", "bot/domain", "bot/data", "nlu_data", "tests/nlu_heldout")
FALLBACK = "nlu_fallback"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# The pipeline's custom components (bot.components…) are imported from the checkout.
sys.path.insert(0, str(ROOT))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model archive")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="held-out NLU data")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="Markdown report")
    parser.add_argument("--title", default="NLU evaluation on the held-out set")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- running the model


class RecordingProcessor:
    """Hands Rasa's evaluation loop the model's processor and keeps each raw parse.

    `get_eval_data` undoes the FallbackClassifier before it scores; the raw parse keeps what
    the deployed bot sees (nlu_fallback included).
    """

    def __init__(self, processor: Any) -> None:
        self._processor = processor
        self.raw: list[dict[str, Any]] = []

    @property
    def model_metadata(self) -> Any:
        return self._processor.model_metadata

    async def parse_message(self, message: Any, **kwargs: Any) -> dict[str, Any]:
        result = await self._processor.parse_message(message, **kwargs)
        self.raw.append({"intent": dict(result.get("intent") or {})})
        return result


def load_heldout(data: Path) -> Any:
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(training_data_paths=[str(data)])
    test_data = importer.get_nlu_data()
    if not test_data.nlu_examples:
        raise SystemExit(f"没有找到留出测试数据 / no NLU examples under {data}")
    return test_data


async def run_model(model: Path, test_data: Any) -> tuple[Any, RecordingProcessor, tuple]:
    from rasa.core.agent import Agent
    from rasa.nlu.test import get_eval_data

    agent = Agent.load(model_path=str(model))
    processor = RecordingProcessor(agent.processor)
    results = await get_eval_data(processor, test_data)
    return agent.processor.model_metadata, processor, results


# ---------------------------------------------------------------- scoring


def score_intents(intent_results: list[Any]) -> dict[str, Any]:
    from rasa.nlu.test import evaluate_intents

    return evaluate_intents(intent_results, None, False, False, True, report_as_dict=True)


def score_deployed(targets: list[str], raw: list[dict[str, Any]]) -> dict[str, Any]:
    """Intents as the bot acts on them: nlu_fallback is a prediction, and a miss."""
    from sklearn.metrics import accuracy_score, f1_score

    predicted = [r["intent"].get("name") or "" for r in raw]
    labels = sorted(set(targets))
    return {
        "macro_f1": f1_score(targets, predicted, labels=labels, average="macro", zero_division=0),
        "weighted_f1": f1_score(
            targets, predicted, labels=labels, average="weighted", zero_division=0
        ),
        "accuracy": accuracy_score(targets, predicted),
        "fallbacks": [i for i, p in enumerate(predicted) if p == FALLBACK],
    }


def score_responses(response_results: list[Any]) -> dict[str, Any] | None:
    from rasa.nlu.test import evaluate_response_selections

    if not response_results:
        return None
    return evaluate_response_selections(
        response_results, None, False, False, True, report_as_dict=True
    )


def entity_key(
    ent: dict[str, Any], normalize: Any, synonyms: dict[str, str] | None = None
) -> tuple[str, int, int, str]:
    """(type, start, end, value); an annotated value is mapped as EntitySynonymMapper would."""
    value = ent.get("value", "")
    if synonyms is not None:
        value = synonyms.get(str(value).lower(), value)
    value = unicodedata.normalize("NFKC", normalize(str(value))).lower()
    return (ent["entity"], ent["start"], ent["end"], value)


def score_entities(
    examples: list[Any], entity_results: list[Any], synonyms: dict[str, str]
) -> dict[str, Any]:
    """Exact matches (type, start, end, value) on the combined, synonym-mapped entities."""
    from bot.components.chinese_normalizer import TextNormalizer

    normalize = TextNormalizer()
    counts: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for index, (example, result) in enumerate(zip(examples, entity_results, strict=True)):
        expected = {entity_key(e, normalize, synonyms) for e in example.get("entities") or []}
        predicted = {entity_key(e, normalize) for e in result.entity_predictions}
        for ent in expected & predicted:
            counts[ent[0]]["tp"] += 1
        for ent in expected - predicted:
            counts[ent[0]]["fn"] += 1
        for ent in predicted - expected:
            counts[ent[0]]["fp"] += 1
        if expected != predicted:
            errors.append(
                {
                    "index": index,
                    "missed": sorted(expected - predicted),
                    "spurious": sorted(predicted - expected),
                }
            )
    table = {entity: prf(c["tp"], c["fp"], c["fn"]) for entity, c in sorted(counts.items())}
    total: Counter = Counter()
    for c in counts.values():
        total.update(c)
    return {"table": table, "micro": prf(total["tp"], total["fp"], total["fn"]), "errors": errors}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": tp + fn,
        "predicted": tp + fp,
    }


def rasa_entity_f1(entity_results: list[Any]) -> dict[str, float]:
    """Rasa's own token-level entity evaluation: weighted F1 per extractor."""
    from rasa.nlu.test import _get_active_entity_extractors, evaluate_entities

    if not any(r.entity_targets for r in entity_results):
        return {}
    extractors = _get_active_entity_extractors(entity_results)
    result = evaluate_entities(
        entity_results, extractors, None, False, False, True, report_as_dict=True
    )
    return {name: r["f1_score"] for name, r in sorted(result.items())}


# ---------------------------------------------------------------- report


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_fingerprint(data: Path) -> tuple[list[str], str]:
    # Resolved: --data may be relative to the working directory, or outside the checkout.
    data = data.resolve()
    files = sorted(p for p in data.rglob("*") if p.suffix in {".yml", ".yaml"})
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(data).as_posix().encode() + b"\0" + path.read_bytes())
    return [shown_path(p) for p in files], digest.hexdigest()[:16]


def shown_path(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def pipeline_of(metadata: Any) -> list[str]:
    """The NLU components, each with the settings that differ from its defaults."""
    from rasa.core.policies.policy import Policy

    names = []
    for name, node in metadata.predict_schema.nodes.items():
        if not name.startswith("run_") or issubclass(node.uses, Policy):
            continue
        if node.uses.__name__ == "RegexMessageHandler":
            continue
        try:
            defaults = node.uses.get_default_config()
        except Exception:  # a component without defaults shows its name only
            defaults = dict(node.config)
        changed = [
            f"{key}={value}"
            for key, value in node.config.items()
            if key in defaults and defaults[key] != value and key != "dictionary_path"
        ]
        names.append(
            f"{node.uses.__name__}({', '.join(changed)})" if changed else node.uses.__name__
        )
    return names


def git_commit() -> str:
    """HEAD, marked when the model's inputs or the held-out set differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *MODEL_INPUTS], cwd=ROOT, capture_output=True
        ).stdout.strip()
    except OSError:
        return "?"
    return f"{head or '?'}{' + uncommitted changes' if dirty else ''}"


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def num(value: float) -> str:
    return f"{value:.3f}"


def label_of(example: Any) -> str:
    return example.get("intent_response_key") or example.get("intent")


def render(ctx: dict[str, Any]) -> str:
    intents = ctx["intents"]
    report = intents["report"]
    deployed = ctx["deployed"]
    examples = ctx["examples"]
    macro = report["macro avg"]["f1-score"]
    lines = [
        f"# {ctx['title']}",
        "",
        "Written by `scripts/evaluate_nlu.py` (`make nlu-report`); do not edit by hand.",
        "The held-out examples in `tests/nlu_heldout/` are not training data",
        "(`tests/nlu/test_heldout_data.py` checks it).",
        "",
        f"- date: {ctx['date']}",
        f"- model: `{ctx['model_name']}` (sha256 `{ctx['model_sha'][:16]}`, trained "
        f"{ctx['trained_at']}, Rasa {ctx['rasa_version']}), checkout `{ctx['commit']}`",
        f"- pipeline: {' → '.join(ctx['pipeline'])}",
        f"- held-out data: {len(examples)} examples in {len(ctx['files'])} files "
        f"(fingerprint `{ctx['fingerprint']}`), {len(ctx['intent_labels'])} intents, "
        f"{len(ctx['topics'])} faq topics",
        "",
        "## Summary",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| intent macro-F1 (target ≥ {TARGET_MACRO_F1}) | **{num(macro)}** |",
        f"| intent weighted F1 | {num(report['weighted avg']['f1-score'])} |",
        f"| intent accuracy | {num(intents['accuracy'])} |",
        f"| as deployed, nlu_fallback counted as a miss: macro-F1 / accuracy | "
        f"{num(deployed['macro_f1'])} / {num(deployed['accuracy'])} |",
        f"| messages falling back to nlu_fallback | {len(deployed['fallbacks'])} of "
        f"{len(examples)} |",
    ]
    responses = ctx["responses"]
    if responses:
        lines.append(
            f"| faq response selection accuracy ({len(responses['predictions'])} faq examples) "
            f"| {num(responses['accuracy'])} |"
        )
        lines.append(
            f"| faq answered end to end (intent faq and right topic) | "
            f"{ctx['faq_end_to_end']} of {len(responses['predictions'])} |"
        )
    entities = ctx["entities"]
    micro = entities["micro"]
    lines.append(
        f"| entities, exact type+span+value: precision / recall / F1 | {num(micro['precision'])}"
        f" / {num(micro['recall'])} / {num(micro['f1'])} |"
    )
    if ctx["rasa_entity_f1"]:
        shown = ", ".join(f"{k} {num(v)}" for k, v in ctx["rasa_entity_f1"].items())
        lines.append(f"| Rasa token-level entity weighted F1 per extractor | {shown} |")

    lines += [
        "",
        "Intent scores are those of `rasa test nlu`: the FallbackClassifier is undone, so the",
        "classifier's best intent is scored. The deployed row counts every nlu_fallback as a miss.",
        "Once training data or `bot/config.yml` have been changed after reading this report's",
        "errors, the score is optimistic: write fresh held-out examples before the next round",
        "(`tests/nlu_heldout/README.md`).",
        "",
        "## Intents",
        "",
        "| intent | precision | recall | F1 | support | confused with |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in ctx["intent_labels"]:
        row = report[name]
        confused = ", ".join(f"{k} ({v})" for k, v in (row.get("confused_with") or {}).items())
        lines.append(
            f"| {name} | {num(row['precision'])} | {num(row['recall'])} | "
            f"{num(row['f1-score'])} | {row['support']} | {confused} |"
        )
    for avg in ("macro avg", "weighted avg"):
        row = report[avg]
        lines.append(
            f"| *{avg}* | {num(row['precision'])} | {num(row['recall'])} | "
            f"{num(row['f1-score'])} | {row['support']} | |"
        )

    if responses:
        rs = responses["report"]
        lines += [
            "",
            "## faq response selection",
            "",
            "| topic | precision | recall | F1 | support |",
            "| --- | --- | --- | --- | --- |",
        ]
        for topic in ctx["topics"]:
            row = rs[topic]
            lines.append(
                f"| {topic} | {num(row['precision'])} | {num(row['recall'])} | "
                f"{num(row['f1-score'])} | {row['support']} |"
            )

    lines += [
        "",
        "## Entities",
        "",
        "A prediction counts when entity type, start, end and value (synonyms mapped, text",
        "normalised) equal the annotation; predictions are those the actions receive, all",
        "extractors together.",
        "",
        "| entity | precision | recall | F1 | annotated | predicted |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in entities["table"].items():
        lines.append(
            f"| {name} | {num(row['precision'])} | {num(row['recall'])} | {num(row['f1'])} | "
            f"{row['support']} | {row['predicted']} |"
        )

    lines += ["", "## Misclassified examples", "", "### Intents", ""]
    errors = ctx["intent_errors"]
    if errors:
        lines += ["| text | expected | predicted | confidence |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {cell(t)} | {e} | {p} | {num(c)} |"
            for t, e, p, c in sorted(errors, key=lambda r: r[1])
        ]
    else:
        lines.append("None.")
    lines += ["", "### Right intent, but nlu_fallback as deployed", ""]
    fallen = ctx["fallback_right"]
    if fallen:
        lines += ["| text | intent | confidence |", "| --- | --- | --- |"]
        lines += [f"| {cell(t)} | {e} | {num(c)} |" for t, e, c in fallen]
    else:
        lines.append("None.")
    lines += ["", "### faq topics", ""]
    if ctx["response_errors"]:
        lines += ["| text | expected | predicted | confidence |", "| --- | --- | --- | --- |"]
        lines += [f"| {cell(t)} | {e} | {p} | {num(c)} |" for t, e, p, c in ctx["response_errors"]]
    else:
        lines.append("None.")
    lines += ["", "### Entities", ""]
    if entities["errors"]:
        lines += ["| text | missed | spurious |", "| --- | --- | --- |"]
        for err in entities["errors"]:
            text = examples[err["index"]].get("text")
            missed = "; ".join(f"{e}={v}" for e, _, _, v in err["missed"])
            spurious = "; ".join(f"{e}={v}" for e, _, _, v in err["spurious"])
            lines.append(f"| {cell(text)} | {cell(missed)} | {cell(spurious)} |")
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def summary(ctx: dict[str, Any]) -> str:
    report = ctx["intents"]["report"]
    macro = report["macro avg"]["f1-score"]
    out = [
        f"模型 / model: {ctx['model_name']}  ({len(ctx['examples'])} held-out examples)",
        f"intent macro-F1    {num(macro)}  (target {TARGET_MACRO_F1}: "
        f"{'met' if macro >= TARGET_MACRO_F1 else 'NOT met'})",
        f"intent weighted F1 {num(report['weighted avg']['f1-score'])}",
        f"intent accuracy    {num(ctx['intents']['accuracy'])}",
        f"deployed macro-F1  {num(ctx['deployed']['macro_f1'])}  "
        f"({len(ctx['deployed']['fallbacks'])} nlu_fallback)",
    ]
    if ctx["responses"]:
        out.append(f"faq response acc.  {num(ctx['responses']['accuracy'])}")
    out.append(f"entity F1 (exact)  {num(ctx['entities']['micro']['f1'])}")
    out.append("")
    out.append(f"{'intent':24} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for name in ctx["intent_labels"]:
        row = report[name]
        out.append(
            f"{name:24} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1-score']:6.3f} "
            f"{row['support']:4d}"
        )
    out.append(f"{len(ctx['intent_errors'])} misclassified; report: {ctx['report_path']}")
    return "\n".join(out)


def quiet() -> None:
    """Only errors from Rasa, TensorFlow and jieba: the summary is the output."""
    import jieba
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)
    jieba.setLogLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet()

    model = args.model if args.model.is_absolute() else Path.cwd() / args.model
    if not model.is_file():
        print(f"找不到模型 / model not found: {model} (make model)", file=sys.stderr)
        return 2
    import rasa

    test_data = load_heldout(args.data)
    examples = list(test_data.nlu_examples)
    metadata, processor, (intent_results, response_results, entity_results) = asyncio.run(
        run_model(model, test_data)
    )
    assert len(processor.raw) == len(examples) == len(intent_results)

    intents = score_intents(intent_results)
    targets = [r.intent_target for r in intent_results]
    deployed = score_deployed(targets, processor.raw)
    responses = score_responses(response_results)
    synonyms = {k.lower(): v for k, v in training_synonyms().items()}
    entities = score_entities(examples, entity_results, synonyms)

    intent_errors = [
        (examples[i].get("text"), r.intent_target, r.intent_prediction, r.confidence or 0.0)
        for i, r in enumerate(intent_results)
        if r.intent_target != r.intent_prediction
    ]
    fallback_right = [
        (examples[i].get("text"), intent_results[i].intent_target, intent_results[i].confidence)
        for i in deployed["fallbacks"]
        if intent_results[i].intent_target == intent_results[i].intent_prediction
    ]
    faq_indices = [i for i, e in enumerate(examples) if e.get("intent_response_key")]
    response_errors, faq_end_to_end = [], 0
    if responses:
        by_index = dict(zip(faq_indices, responses["predictions"], strict=True))
        for i, p in by_index.items():
            right = p["intent_response_key_target"] == p["intent_response_key_prediction"]
            if right and intent_results[i].intent_prediction == "faq":
                faq_end_to_end += 1
            if not right:
                response_errors.append(
                    (
                        examples[i].get("text"),
                        p["intent_response_key_target"],
                        p["intent_response_key_prediction"],
                        p["confidence"] or 0.0,
                    )
                )

    files, fingerprint = data_fingerprint(args.data)
    report_path = args.report if args.report.is_absolute() else Path.cwd() / args.report
    ctx = {
        "title": args.title,
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "model_name": model.resolve().name,
        "model_sha": sha256(model),
        "trained_at": metadata.trained_at.strftime("%Y-%m-%d %H:%M"),
        "rasa_version": rasa.__version__,
        "commit": git_commit(),
        "pipeline": pipeline_of(metadata),
        "files": files,
        "fingerprint": fingerprint,
        "examples": examples,
        "intent_labels": sorted(set(targets)),
        "topics": sorted({label_of(examples[i]) for i in faq_indices}),
        "intents": intents,
        "deployed": deployed,
        "responses": responses,
        "faq_end_to_end": faq_end_to_end,
        "entities": entities,
        "rasa_entity_f1": rasa_entity_f1(entity_results),
        "intent_errors": intent_errors,
        "fallback_right": fallback_right,
        "response_errors": response_errors,
        "report_path": os.path.relpath(report_path, Path.cwd()),
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(render(ctx), encoding="utf-8")
    print(summary(ctx))
    return 0


def training_synonyms() -> dict[str, str]:
    """The synonyms of nlu_data/, to map annotated values the way the model maps them."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(training_data_paths=[str(ROOT / "nlu_data")])
    return importer.get_nlu_data().entity_synonyms


if __name__ == "__main__":
    sys.exit(main())
