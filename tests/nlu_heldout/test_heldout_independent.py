"""The held-out set measures generalisation only while none of it is in the training data:
no exact copy (after stripping punctuation and entity markup), and near-duplicates flagged."""
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from bot.nlu_eval import HELDOUT, load_examples
from hallbot.settings import ROOT

NEAR = 0.9     # character similarity above which two sentences are one sentence reworded by a letter


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def training_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "nlu_data").glob("*.yml")):
        examples = load_examples(path)
        texts += [e.text for e in examples]
    return texts


def test_heldout_covers_every_intent_with_ten_examples():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    counts: dict[str, int] = {}
    for example in load_examples(ROOT / HELDOUT):
        counts[example.intent] = counts.get(example.intent, 0) + 1
    missing = {i: counts.get(i, 0) for i in intents if not i.startswith("EXTERNAL_") and counts.get(i, 0) < 10}
    assert not missing, f"intents with fewer than 10 held-out examples: {missing}"
    assert set(counts) <= intents, f"held-out intents not in domain.yml: {set(counts) - intents}"


def test_no_heldout_text_is_in_the_training_data():
    train = {_key(t) for t in training_texts()}
    copied = [e.text for e in load_examples(ROOT / HELDOUT) if _key(e.text) in train]
    assert not copied, f"held-out sentences found in nlu_data/: {copied}"


def test_no_heldout_text_is_a_near_duplicate_of_a_training_example():
    train = [_key(t) for t in training_texts()]
    near = []
    for example in load_examples(ROOT / HELDOUT):
        key = _key(example.text)
        if len(key) < 6:                     # short replies (好嘞, 不要) are near everything
            continue
        for other in train:
            if abs(len(other) - len(key)) <= 2 and SequenceMatcher(None, key, other).ratio() >= NEAR:
                near.append((example.text, other))
                break
    assert not near, f"held-out sentences too close to training examples: {near}"


def test_heldout_file_is_outside_the_training_data():
    assert not (ROOT / HELDOUT).resolve().is_relative_to((ROOT / "nlu_data").resolve())
    assert Path(HELDOUT).suffix == ".yml"
