"""Warnings for a trainer editing nlu_data/: what `rasa data validate` does not say, with file and line.

- an intent with too few examples (a new intent with a handful of examples is learnt poorly and
  steals from its neighbours);
- examples of different intents that are the same text up to punctuation, or nearly the same
  (character-bigram Jaccard at or above SIMILAR): the model cannot tell them apart, so one label is
  wrong or the intents overlap;
- an entity annotation whose value does not have its entity's shape (nlu_data/regex.yml): an
  "account number" of 9 digits teaches the extractor the wrong shape.

Advice only: `hallbot validate` prints them and does not fail on them; the trainer page shows them.
Read with a line scanner (not a YAML parser) because the line of each example is what a trainer needs."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from identity.spoken_numbers import to_digits

NLU_DIR = Path("nlu_data")
MIN_EXAMPLES = 15
SIMILAR = 0.8
MAX_SIMILAR_SHOWN = 30
_INTENT = re.compile(r"^\s*-\s*intent:\s*(\S+)\s*$")
_OTHER_BLOCK = re.compile(r"^\s*-\s*(regex|synonym|lookup|rule|story):")
_EXAMPLE = re.compile(r"^\s+-\s+(.*\S)\s*$")
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]*\}))")
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")   # "户号3100234567" and "户号3200000044" are the same wording (by length)


@dataclass(frozen=True)
class Example:
    intent: str
    text: str                                     # plain: annotations replaced by their text
    file: str
    line: int
    entities: tuple[tuple[str, str], ...]         # (entity, value)
    intent_line: int = 0                          # the line of its "- intent:"


@dataclass(frozen=True)
class DataWarning:
    kind: str                                     # few_examples | same_text | similar | entity_shape
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _parse_annotations(raw: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    entities = []

    def plain(match: re.Match[str]) -> str:
        value, name = match.group("text"), match.group("entity")
        if match.group("json"):
            try:
                spec = json.loads(match.group("json"))
            except ValueError:
                spec = {}
            name, value = spec.get("entity"), str(spec.get("value", value))
        if name:
            entities.append((str(name).split(":")[0], value))   # "entity:role" -> entity
        return match.group("text")
    return _ANNOTATION.sub(plain, raw), tuple(entities)


def read_examples(root: Path) -> list[Example]:
    examples = []
    for path in sorted((root / NLU_DIR).glob("*.yml")):
        intent, intent_line = None, 0
        relative = str(path.relative_to(root))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if (found := _INTENT.match(line)) is not None:
                intent, intent_line = found.group(1), number
            elif _OTHER_BLOCK.match(line):
                intent = None
            elif intent and (example := _EXAMPLE.match(line)) is not None:
                raw = example.group(1)
                if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
                    raw = raw[1:-1]
                text, entities = _parse_annotations(raw)
                examples.append(Example(intent, text, relative, number, entities, intent_line))
    return examples


def read_shapes(root: Path) -> dict[str, re.Pattern[str]]:
    """The entity shapes of nlu_data/regex.yml (the first pattern of each)."""
    import yaml

    shapes: dict[str, re.Pattern[str]] = {}
    for path in sorted((root / NLU_DIR).glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if isinstance(block, dict) and "regex" in block:
                patterns = [line.strip()[2:] for line in str(block.get("examples", "")).splitlines()
                            if line.strip().startswith("- ")]
                if patterns:
                    shapes.setdefault(str(block["regex"]), re.compile(patterns[0]))
    return shapes


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) if len(text) > 1 else frozenset({text})


def few_examples(examples: list[Example], minimum: int = MIN_EXAMPLES) -> list[DataWarning]:
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_intent[e.intent].append(e)
    return [DataWarning("few_examples", found[0].file, found[0].intent_line or found[0].line,
                        f"intent {intent} has {len(found)} example(s); give it at least {minimum}")
            for intent, found in sorted(by_intent.items()) if len(found) < minimum]


def conflicts(examples: list[Example], threshold: float = SIMILAR) -> list[DataWarning]:
    """Pairs across intents: the same text up to punctuation, or bigram Jaccard >= threshold."""
    keys = [(e, _DIGITS.sub(lambda m: f"#{len(m.group(0))}", _PUNCTUATION.sub("", e.text.lower())))
            for e in examples]
    keyed = [(e, k, _bigrams(k)) for e, k in keys if k]
    keyed.sort(key=lambda item: len(item[2]))
    found: list[tuple[float, DataWarning]] = []
    for i, (a, key_a, grams_a) in enumerate(keyed):
        for b, key_b, grams_b in keyed[i + 1:]:
            if len(grams_a) < threshold * len(grams_b):
                break                                   # sorted by size: no later one can reach the threshold
            if a.intent == b.intent:
                continue
            if key_a == key_b:
                score, kind = 1.0, "same_text"
            else:
                score, kind = len(grams_a & grams_b) / len(grams_a | grams_b), "similar"
                if score < threshold:
                    continue
            first, second = sorted((a, b), key=lambda e: (e.file, e.line))
            what = "the same text as" if kind == "same_text" else f"{score:.0%} alike with"
            found.append((score, DataWarning(kind, first.file, first.line,
                                             f"{first.intent} example '{first.text}' is {what} {second.intent} "
                                             f"example '{second.text}' ({second.file}:{second.line})")))
    found.sort(key=lambda pair: -pair[0])
    return [warning for _, warning in found]


def entity_shapes(examples: list[Example], shapes: dict[str, re.Pattern[str]]) -> list[DataWarning]:
    warnings = []
    for e in examples:
        for entity, value in e.entities:
            shape = shapes.get(entity)
            if shape is None:
                continue
            digits = re.sub(r"[\s\-]", "", to_digits(value))
            match = shape.search(digits)
            if match is None or match.group(0) != digits:
                warnings.append(DataWarning("entity_shape", e.file, e.line,
                                            f"{e.intent} example '{e.text}': {entity} '{value}' does not have "
                                            f"the shape of nlu_data regex {entity}"))
    return warnings


def check(root: Path) -> list[DataWarning]:
    examples = read_examples(root)
    similar = conflicts(examples)
    return few_examples(examples) + similar[:MAX_SIMILAR_SHOWN] + entity_shapes(examples, read_shapes(root))
