"""`hallbot validate` (rasa data validate with the documented allow-list) and data shape."""
from __future__ import annotations

import yaml

from bot.commands import unexpected_warnings, validate
from bot.settings import ROOT, load


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
                lines = [l[2:] for l in block["examples"].splitlines() if l.startswith("- ")]
                examples.setdefault(block["intent"].split("/")[0], []).extend(lines)
    return examples


def test_at_least_25_intents_with_20_examples_each():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    trained = [i for i in domain["intents"] if not i.startswith("EXTERNAL_")]
    examples = _nlu_examples()
    assert len(trained) >= 25
    thin = {i: len(examples.get(i, [])) for i in trained if len(examples.get(i, [])) < 20}
    assert not thin, f"intents with fewer than 20 examples: {thin}"
