"""`hallbot validate` (rasa data validate with the documented allow-list) and data shape."""
from __future__ import annotations

import pytest
import yaml

from bot.commands import unexpected_warnings, validate
from hallbot.settings import ROOT, load


@pytest.mark.rasa
def test_training_data_validates_without_unexpected_warnings(capsys):
    assert validate(load()) == 0, capsys.readouterr().out


def test_allow_list_lets_through_only_the_documented_warnings():
    output = (
        "UserWarning: The intent 'EXTERNAL_face_recognized' is listed in the domain file, but is not found in the NLU training data.\n"
        "UserWarning: The utterance 'utter_ask_phone' is not used in any story or rule.\n"
        "UserWarning: The utterance 'utter_greet_vip' is not used in any story or rule.\n"
        "UserWarning: The intent 'pay_bill' is listed in the domain file, but is not found in the NLU training data.\n"
    )
    assert unexpected_warnings(output) == [
        "The utterance 'utter_greet_vip' is not used in any story or rule.",
        "The intent 'pay_bill' is listed in the domain file, but is not found in the NLU training data.",
    ]


def _nlu_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in (ROOT / "nlu_data").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                lines = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"].split("/")[0], []).extend(lines)
    return examples


def test_at_least_25_intents_with_20_examples_each():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    trained = [i for i in domain["intents"] if not i.startswith("EXTERNAL_")]
    examples = _nlu_examples()
    assert len(trained) >= 25
    thin = {i: len(examples.get(i, [])) for i in trained if len(examples.get(i, [])) < 20}
    assert not thin, f"intents with fewer than 20 examples: {thin}"


# Components that draw random numbers while training, and the key that seeds each.
SEED_KEYS = {"DIETClassifier": "random_seed", "ResponseSelector": "random_seed", "TEDPolicy": "random_seed",
             "UnexpecTEDIntentPolicy": "random_seed",
             "rasa_addons.linear_intent_classifier.LinearIntentClassifier": "random_state",
             "LogisticRegressionClassifier": "random_state", "SklearnIntentClassifier": "random_state"}


def test_every_trained_component_has_a_fixed_seed():
    """A fresh clone must train the model the tests were written against (rasa_addons/compare_models.py
    checks two trainings predict the same)."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    components = config["pipeline"] + config["policies"]
    unseeded = [c["name"] for c in components if c["name"] in SEED_KEYS and c.get(SEED_KEYS[c["name"]]) is None]
    assert not unseeded, f"set {', '.join(f'{n}: {SEED_KEYS[n]}' for n in unseeded)} in config.yml"
    assert {c["name"] for c in components} & set(SEED_KEYS)   # the check would notice a renamed component
