"""A trainer's corrections as NLU training data: nlu_data/corrections.yml, plain Rasa 3.6 YAML.

Why a file under nlu_data/ (and not a database): `hallbot train` reads that folder, and the data
stays reviewable in git (`git diff nlu_data/`) like every other example. One block per intent,
examples in the order they were added, no duplicates. A customer's message is relabelled by adding
it as an example of the right intent: Rasa's training data holds one label per text, so an example
already under another intent in nlu_data/ is refused with the file that has it (the trainer fixes
that one by hand, or `rasa data validate` would report the conflict).

Private data never lands in git: text with an ID-number, phone, account-number or SMS-code shape
(identity.masking would change it) or with the masking star is refused, so the trainer types the
example with a made-up number or none. Entity annotation syntax ([..](..), {..}) and line breaks are
refused too: the example must mean exactly the text that was typed."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from identity.masking import STAR, mask_text

CORRECTIONS = Path("nlu_data/corrections.yml")
HEADER = ('version: "3.1"\n\n'
          "# Trainers' corrections (hallbot conversations, the console's trainer page): reviewed like any other\n"
          "# training data. Rewritten by bot/corrections.py on each correction: comments here are not kept.\n")
MAX_CHARS = 200
_MARKUP = re.compile(r"[\[\]{}\n\r]|\]\(")


class CorrectionRefused(ValueError):
    """The example cannot be added; the message says why, in words a trainer acts on."""


@dataclass(frozen=True)
class Added:
    intent: str
    text: str
    path: Path
    new: bool            # False: it was there already


def domain_intents(root: Path) -> set[str]:
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    return {next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents") or []}


def retrieval_intents(root: Path) -> set[str]:
    """faq/ask_hours ...: the FAQ questions, named in nlu_data/ only."""
    return {i for path in (root / "nlu_data").glob("*.yml") for i in _examples(path) if "/" in i}


def retrieval_roots(known: set[str]) -> set[str]:
    return {i.split("/")[0] for i in known if "/" in i}


def _examples(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and block.get("intent"):
            lines = (block.get("examples") or "").splitlines()
            found.setdefault(str(block["intent"]), []).extend(
                line.strip()[2:].strip() for line in lines if line.strip().startswith("- "))
    return found


def labelled_elsewhere(root: Path, text: str, skip: Path) -> tuple[str, Path] | None:
    for path in sorted((root / "nlu_data").glob("*.yml")):
        if path.resolve() == skip.resolve():
            continue
        for intent, texts in _examples(path).items():
            if text in texts:
                return intent.split("/")[0], path
    return None


def check_text(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise CorrectionRefused("the example is empty")
    if len(cleaned) > MAX_CHARS:
        raise CorrectionRefused(f"the example is longer than {MAX_CHARS} characters")
    if STAR in cleaned or mask_text(cleaned) != cleaned:
        raise CorrectionRefused("the example holds a private number (ID, phone, account or SMS code) or a masked "
                                "one: write it with a made-up number or none")
    if _MARKUP.search(text):
        raise CorrectionRefused("the example holds [ ] { } or a line break: write it as plain text")
    return cleaned


def add_example(root: Path, intent: str, text: str) -> Added:
    """Add `text` as an example of `intent` to nlu_data/corrections.yml (created when missing)."""
    cleaned = check_text(text)
    known = domain_intents(root) | retrieval_intents(root)
    if intent not in known or intent.startswith("EXTERNAL_") or intent in retrieval_roots(known):
        raise CorrectionRefused(f"{intent!r} is not an intent customers' messages can have (domain.yml; "
                                "an FAQ question is faq/<its key>)")
    path = root / CORRECTIONS
    elsewhere = labelled_elsewhere(root, cleaned, path)
    if elsewhere is not None and elsewhere[0] != intent:
        raise CorrectionRefused(f"{cleaned!r} is an example of {elsewhere[0]} in {elsewhere[1].relative_to(root)}: "
                                "change it there")
    current = _examples(path) if path.exists() else {}
    if cleaned in current.get(intent, []) or elsewhere is not None:
        return Added(intent, cleaned, path, new=False)
    for texts in current.values():   # relabelled again: the latest label wins
        if cleaned in texts:
            texts.remove(cleaned)
    current.setdefault(intent, []).append(cleaned)
    _write(path, current)
    return Added(intent, cleaned, path, new=True)


def _write(path: Path, examples: dict[str, list[str]]) -> None:
    blocks = []
    for intent in sorted(k for k, v in examples.items() if v):
        lines = "\n".join(f"    - {text}" for text in examples[intent])
        blocks.append(f"- intent: {intent}\n  examples: |\n{lines}\n")
    text = HEADER + "nlu:\n" + "".join(blocks)
    yaml.safe_load(text)     # never write a file Rasa cannot read
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
