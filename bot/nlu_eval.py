"""Held-out NLU evaluation: how the trained model does on sentences written apart from the training data.

Why: cross-validation folds come from the same hand-written examples, so they say little about
how customers really talk (the issue's 482 real utterances scored 0.788 where CV looked better).
tests/nlu_heldout/heldout.yml is written independently (colloquial, elderly speech, typos, number
words, fragments, near-domain out-of-scope); this module parses it with a trained model and scores
intents (accuracy, macro F1, per-intent F1) and the digit entities the forms need (F1 on the value
the form would get, so "幺二零..." and "120..." both count when they give the same digits)."""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from identity.account_number import digits_only

HELDOUT = Path("tests/nlu_heldout/heldout.yml")
DIGIT_ENTITIES = ("account_no", "id_number", "phone", "sms_code", "amount", "capacity", "date")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...]     # (entity, value as written)


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "support": self.tp + self.fn}


@dataclass
class Report:
    n: int
    accuracy: float
    macro_f1: float
    per_intent: dict[str, dict]
    entity_f1: float
    per_entity: dict[str, dict]
    parse_ms_p50: float
    errors: list[dict] = field(default_factory=list)
    entity_errors: list[dict] = field(default_factory=list)   # held-out fixtures only: no customer data

    def as_dict(self) -> dict:
        return {"examples": self.n, "intent_accuracy": round(self.accuracy, 4), "intent_macro_f1": round(self.macro_f1, 4),
                "digit_entity_f1": round(self.entity_f1, 4), "parse_ms_p50": self.parse_ms_p50,
                "per_intent": self.per_intent, "per_entity": self.per_entity, "errors": self.errors,
                "entity_errors": self.entity_errors}


def parse_annotated(line: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """"户号是[幺二零幺九七四四零三](account_no)" -> plain text and its (entity, value) pairs."""
    entities = tuple((m.group(2), m.group(1)) for m in _ANNOTATION.finditer(line))
    return _ANNOTATION.sub(lambda m: m.group(1), line), entities


def load_examples(path: Path) -> list[Example]:
    """Rasa's NLU YAML format (so the file can also be fed to `rasa test nlu`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        if not intent:
            continue
        for raw in (block.get("examples") or "").splitlines():
            line = raw.strip()
            if line.startswith("- "):
                text, entities = parse_annotated(line[2:].strip())
                examples.append(Example(text, intent.split("/")[0], entities))
    return examples


def _value(entity: str, raw: str) -> str:
    """What the form would make of it: digits for the digit entities."""
    if entity in DIGIT_ENTITIES:
        return digits_only(raw).upper().replace(",", "").replace("，", "")
    return raw


def score(examples: list[Example], parsed: list[dict]) -> Report:
    labels = sorted({e.intent for e in examples})
    per_intent = {label: Scores() for label in labels}
    per_entity = {name: Scores() for name in DIGIT_ENTITIES}
    correct = 0
    errors, entity_errors = [], []
    for example, result in zip(examples, parsed, strict=True):
        predicted = (result.get("intent") or "").split("/")[0]
        if predicted == example.intent:
            correct += 1
            per_intent[example.intent].tp += 1
        else:
            per_intent[example.intent].fn += 1
            if predicted in per_intent:
                per_intent[predicted].fp += 1
            errors.append({"text": example.text, "intent": example.intent, "predicted": predicted,
                           "confidence": round(result.get("confidence", 0.0), 3)})
        gold = Counter((n, _value(n, v)) for n, v in example.entities if n in DIGIT_ENTITIES)
        got = Counter((e["entity"], _value(e["entity"], e["value"])) for e in result.get("entities") or []
                      if e["entity"] in DIGIT_ENTITIES)
        if gold != got:
            entity_errors.append({"text": example.text, "expected": sorted(gold), "got": sorted(got)})
        for name, value in gold | got:
            hit = min(gold[(name, value)], got[(name, value)])
            per_entity[name].tp += hit
            per_entity[name].fn += gold[(name, value)] - hit
            per_entity[name].fp += got[(name, value)] - hit
    total = Scores(sum(s.tp for s in per_entity.values()), sum(s.fp for s in per_entity.values()),
                   sum(s.fn for s in per_entity.values()))
    times = sorted(r.get("ms", 0.0) for r in parsed)
    return Report(
        n=len(examples), accuracy=correct / len(examples) if examples else 0.0,
        macro_f1=sum(s.f1 for s in per_intent.values()) / len(labels) if labels else 0.0,
        per_intent={k: v.as_dict() for k, v in per_intent.items()}, entity_f1=total.f1,
        per_entity={k: v.as_dict() for k, v in per_entity.items() if v.tp + v.fn + v.fp},
        parse_ms_p50=round(times[len(times) // 2], 2) if times else 0.0, errors=errors,
        entity_errors=entity_errors)


def parse_with_model(rasa_python: Path, model: Path, texts: list[str], root: Path, env: dict[str, str]) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        texts_path, out_path = Path(tmp) / "texts.json", Path(tmp) / "parsed.json"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        result = subprocess.run([str(rasa_python), "-m", "rasa_addons.parse_texts", str(model), str(texts_path), str(out_path)],
                                cwd=root, env=env, capture_output=True, text=True)
        if result.returncode != 0 or not out_path.exists():
            raise RuntimeError(f"parsing with {model} failed:\n{result.stderr[-3000:]}")
        return json.loads(out_path.read_text(encoding="utf-8"))


def summary(report: Report) -> str:
    worst = sorted(report.per_intent.items(), key=lambda kv: kv[1]["f1"])[:8]
    lines = [f"held-out: {report.n} examples, intent accuracy {report.accuracy:.3f}, macro F1 {report.macro_f1:.3f}, "
             f"digit-entity F1 {report.entity_f1:.3f}, parse p50 {report.parse_ms_p50} ms (in process)",
             "weakest intents: " + ", ".join(f"{k} {v['f1']:.2f}" for k, v in worst)]
    lines += [f"  {k}: F1 {v['f1']:.2f} (support {v['support']})" for k, v in report.per_entity.items()]
    return "\n".join(lines)
